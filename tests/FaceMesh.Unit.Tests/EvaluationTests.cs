using FaceMesh.Evaluation;
using FaceMesh.Pipeline.Detection;

namespace FaceMesh.Unit.Tests;

public sealed class EvaluationTests
{
    [Fact]
    public void Best_threshold_maximises_accuracy_between_the_right_scores()
    {
        // Sorted: 0.1(d) 0.2(d) 0.3(s) 0.4(d) 0.5(s) 0.6(s). A threshold in (0.2, 0.3) answers 5 of 6
        // correctly; between 0.4 and 0.5 also 5 of 6; the sweep keeps the first: midpoint 0.25.
        double[] scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
        bool[] same = [false, false, true, false, true, true];
        double t = VerificationProtocol.BestThreshold(scores, same);
        Assert.Equal(0.25, t, 9);
        Assert.Equal(5.0 / 6, VerificationProtocol.Accuracy(scores, same, t), 9);
    }

    [Fact]
    public void A_pair_without_a_face_is_wrong_at_every_threshold()
    {
        double[] scores = [double.NaN, 0.9, 0.1];
        bool[] same = [true, true, false];
        // At 0.5 both scored pairs are right; at −10 the different pair is accepted too. The NaN pair is wrong at both.
        Assert.Equal(2.0 / 3, VerificationProtocol.Accuracy(scores, same, 0.5), 9);
        Assert.Equal(1.0 / 3, VerificationProtocol.Accuracy(scores, same, -10), 9);
    }

    [Fact]
    public void Ten_fold_picks_each_threshold_on_the_other_folds()
    {
        // Fold k: a same pair at 0.5 + k/100 and a different pair at 0.4; every split is separable.
        var scores = new List<double>();
        var same = new List<bool>();
        var folds = new List<int>();
        for (int k = 0; k < 10; k++)
        {
            scores.AddRange([0.5 + k / 100.0, 0.4]);
            same.AddRange([true, false]);
            folds.AddRange([k, k]);
        }
        var (accuracies, thresholds) = VerificationProtocol.TenFold(scores, same, folds);
        Assert.All(accuracies, a => Assert.Equal(1.0, a));
        Assert.All(thresholds, t => Assert.InRange(t, 0.4, 0.5));
        Assert.Equal((1.0, 0.0), VerificationProtocol.MeanStd(accuracies));
    }

    [Fact]
    public void Mean_and_population_standard_deviation()
    {
        var (mean, std) = VerificationProtocol.MeanStd([0.9, 1.0]);
        Assert.Equal(0.95, mean, 12);
        Assert.Equal(0.05, std, 12);
    }

    [Fact]
    public void Tar_at_far_allows_floor_of_far_times_impostors_false_accepts()
    {
        // 10 impostors 0.0…0.9; FAR 0.1 allows one false accept: threshold just above 0.8.
        var impostor = Enumerable.Range(0, 10).Select(i => i / 10.0).ToArray();
        double[] genuine = [0.85, 0.95, 0.5, 0.99];
        var roc = new RocCurve(genuine, impostor);
        Assert.Equal(0.1, roc.Far(roc.ThresholdAt(0.1)), 9);
        Assert.Equal(0.75, roc.TarAt(0.1), 9);   // 0.85, 0.95, 0.99 of 4
        Assert.Equal(0.5, roc.TarAt(0.01), 9);   // no false accept: above 0.9 → 0.95, 0.99
    }

    [Fact]
    public void Equal_error_rate_of_separable_scores_is_zero_and_of_identical_ones_is_a_half()
    {
        Assert.Equal(0, new RocCurve([0.8, 0.9], [0.1, 0.2]).EqualErrorRate(), 9);
        Assert.Equal(0.5, new RocCurve([0.5, 0.5], [0.5, 0.5]).EqualErrorRate(), 9);
    }

    [Fact]
    public void Celeba_dev_pairs_file_has_ten_identity_disjoint_folds_of_600()
    {
        var pairs = LfwPairs.Read(Path.Combine(TestPaths.CelebaDev, "pairs.txt"), TestPaths.CelebaDev);
        Assert.Equal(6000, pairs.Count);
        Assert.Equal(3000, pairs.Count(p => p.Same));
        Assert.All(pairs.GroupBy(p => p.Fold), g => Assert.Equal(600, g.Count()));
        Assert.All(pairs, p => Assert.True(File.Exists(p.First) && File.Exists(p.Second), $"{p.First} / {p.Second}"));
        var identitiesByFold = pairs.GroupBy(p => p.Fold)
            .Select(g => g.SelectMany(p => new[] { p.First, p.Second }).Select(f => Path.GetFileName(Path.GetDirectoryName(f))).ToHashSet()).ToArray();
        for (int i = 0; i < 10; i++)
            for (int j = i + 1; j < 10; j++)
                Assert.Empty(identitiesByFold[i].Intersect(identitiesByFold[j]));
    }

    [Fact]
    public void A_pairs_file_written_over_thirty_identities_reads_back_as_ten_identity_disjoint_balanced_folds()
    {
        var identities = Directory.GetDirectories(TestPaths.CelebaDev).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).TakeLast(30).ToArray();
        var file = Path.Combine(TestPaths.NewTempDirectory(), "pairs.txt");
        int perFold = LfwPairs.Write(file, TestPaths.CelebaDev, identities, perFold: 100, seed: 3);
        Assert.Equal(100, perFold); // three people per fold have far more than 100 pairs of each kind
        var pairs = LfwPairs.Read(file, TestPaths.CelebaDev);
        Assert.Equal(2000, pairs.Count);
        Assert.All(pairs.GroupBy(p => p.Fold), g => Assert.Equal(100, g.Count(p => p.Same)));
        Assert.Equal(pairs.Count, pairs.Select(p => (p.First, p.Second)).Distinct().Count());
        Assert.All(pairs, p => Assert.True(File.Exists(p.First) && File.Exists(p.Second) && p.First != p.Second, $"{p.First} / {p.Second}"));
        Assert.All(pairs, p => Assert.Equal(p.Same, Path.GetDirectoryName(p.First) == Path.GetDirectoryName(p.Second)));
        var identitiesByFold = pairs.GroupBy(p => p.Fold)
            .Select(g => g.SelectMany(p => new[] { p.First, p.Second }).Select(f => Path.GetFileName(Path.GetDirectoryName(f))).ToHashSet()).ToArray();
        Assert.All(identitiesByFold, ids => Assert.Equal(3, ids.Count));
        Assert.Equal(30, identitiesByFold.SelectMany(ids => ids).Distinct().Count()); // disjoint: 10 folds × 3 people
        Assert.Subset(identities.ToHashSet(), identitiesByFold.SelectMany(ids => ids).ToHashSet()!);
        var again = Path.Combine(TestPaths.NewTempDirectory(), "pairs.txt");
        LfwPairs.Write(again, TestPaths.CelebaDev, identities, perFold: 100, seed: 3);
        Assert.Equal(File.ReadAllText(file), File.ReadAllText(again)); // the seed makes it repeatable
    }

    [Fact]
    public void Detection_ap_is_one_for_perfect_detections_and_ignores_invalid_faces()
    {
        GroundTruthFace[] truth = [new(FaceBox.FromXywh(0, 0, 40, 40), false), new(FaceBox.FromXywh(100, 0, 20, 20), false),
                                   new(FaceBox.FromXywh(200, 0, 50, 50), Invalid: true)];
        DetectedFace[] detections = [new(FaceBox.FromXywh(1, 1, 40, 40), 0.9f), new(FaceBox.FromXywh(100, 0, 20, 20), 0.8f),
                                     new(FaceBox.FromXywh(200, 0, 50, 50), 0.95f)];
        var all = DetectionAveragePrecision.Compute([(truth, detections)], SizeRange.All);
        Assert.Equal(2, all.Faces);
        Assert.Equal(1.0, all.AveragePrecision, 9);
        var small = DetectionAveragePrecision.Compute([(truth, detections)], SizeRange.Small);
        Assert.Equal(1, small.Faces);
        Assert.Equal(1.0, small.AveragePrecision, 9);
    }

    [Fact]
    public void Detection_ap_of_a_false_positive_ranked_first_follows_the_voc_formula()
    {
        // Ranked: FP (0.9), TP (0.8), then one face never found. Recall 0, 0.5; precision 0, 0.5.
        // Envelope: 0.5, 0.5 → AP = 0.5 · (0.5 − 0) = 0.25.
        GroundTruthFace[] truth = [new(FaceBox.FromXywh(0, 0, 40, 40), false), new(FaceBox.FromXywh(100, 0, 40, 40), false)];
        DetectedFace[] detections = [new(FaceBox.FromXywh(300, 300, 40, 40), 0.9f), new(FaceBox.FromXywh(0, 0, 40, 40), 0.8f)];
        var result = DetectionAveragePrecision.Compute([(truth, detections)], SizeRange.All);
        Assert.Equal(0.25, result.AveragePrecision, 9);
    }

    [Fact]
    public void Wider_ground_truth_is_read_with_its_invalid_flags()
    {
        var images = WiderGroundTruth.Read(Path.Combine(TestPaths.WiderDev, "wider_face_val_bbx_gt.txt"));
        Assert.Equal(300, images.Count);
        Assert.All(images, i => Assert.True(File.Exists(Path.Combine(TestPaths.WiderDev, "images", i.RelativePath)), i.RelativePath));
        Assert.Contains(images, i => i.Faces.Any(f => f.Invalid));
        Assert.True(images.Sum(i => i.Faces.Count) > 1000);
    }
}
