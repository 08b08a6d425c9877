namespace FaceMesh.Evaluation;

/// <summary>
/// The LFW View-2 protocol on scored pairs: for each of the folds, the threshold that maximises
/// accuracy on the other folds is applied to it; the result is the mean and (population) standard
/// deviation of the fold accuracies, as in InsightFace's <c>eval/verification.py</c>. A pair whose
/// score is NaN (a photo where no face was found) is wrong at every threshold.
/// </summary>
public static class VerificationProtocol
{
    public static (double[] Accuracies, double[] Thresholds) TenFold(
        IReadOnlyList<double> scores, IReadOnlyList<bool> same, IReadOnlyList<int> folds)
    {
        int foldCount = folds.Max() + 1;
        var accuracies = new double[foldCount];
        var thresholds = new double[foldCount];
        for (int test = 0; test < foldCount; test++)
        {
            var train = Enumerable.Range(0, scores.Count).Where(i => folds[i] != test).ToArray();
            thresholds[test] = BestThreshold(train.Select(i => scores[i]).ToArray(), train.Select(i => same[i]).ToArray());
            var held = Enumerable.Range(0, scores.Count).Where(i => folds[i] == test).ToArray();
            accuracies[test] = Accuracy(held.Select(i => scores[i]).ToArray(), held.Select(i => same[i]).ToArray(), thresholds[test]);
        }
        return (accuracies, thresholds);
    }

    /// <summary>Same person when score ≥ threshold.</summary>
    public static double Accuracy(double[] scores, bool[] same, double threshold)
    {
        int correct = 0;
        for (int i = 0; i < scores.Length; i++)
            if (!double.IsNaN(scores[i]) && (scores[i] >= threshold) == same[i])
                correct++;
        return correct / (double)scores.Length;
    }

    /// <summary>The threshold with the most correct answers: a sweep over the sorted scores, O(n log n).</summary>
    public static double BestThreshold(double[] scores, bool[] same)
    {
        var valid = Enumerable.Range(0, scores.Length).Where(i => !double.IsNaN(scores[i]))
            .OrderBy(i => scores[i]).ToArray();
        // Threshold below everything: all answered "same".
        int correct = valid.Count(i => same[i]);
        int best = correct;
        double bestThreshold = valid.Length > 0 ? scores[valid[0]] - 1e-6 : 0;
        for (int k = 0; k < valid.Length; k++)
        {
            // Moving the threshold just above scores[valid[k]] turns that pair into "different".
            correct += same[valid[k]] ? -1 : 1;
            bool tie = k + 1 < valid.Length && scores[valid[k + 1]] == scores[valid[k]];
            if (!tie && correct > best)
            {
                best = correct;
                bestThreshold = k + 1 < valid.Length ? (scores[valid[k]] + scores[valid[k + 1]]) / 2 : scores[valid[k]] + 1e-6;
            }
        }
        return bestThreshold;
    }

    public static (double Mean, double Std) MeanStd(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        double variance = values.Sum(v => (v - mean) * (v - mean)) / values.Count;
        return (mean, Math.Sqrt(variance));
    }
}
