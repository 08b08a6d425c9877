namespace FaceMesh.Evaluation;

/// <summary>
/// The receiver operating characteristic of genuine (same-person) and impostor scores: true-accept
/// rate against false-accept rate over all thresholds, TAR at fixed FARs, and the equal error rate.
/// A NaN score (no face found in a photo) is the lowest score, as NIST's FRVT treats a failure to
/// make a template: a genuine pair is then a false reject at every threshold, an impostor pair a
/// (correct) reject. (The 10-fold accuracy counts both as wrong; see <see cref="VerificationProtocol"/>.)
/// </summary>
public sealed class RocCurve
{
    private readonly double[] _genuine;   // ascending
    private readonly double[] _impostor;  // ascending

    public RocCurve(IEnumerable<double> genuine, IEnumerable<double> impostor)
    {
        _genuine = genuine.Select(s => double.IsNaN(s) ? double.NegativeInfinity : s).Order().ToArray();
        _impostor = impostor.Select(s => double.IsNaN(s) ? double.NegativeInfinity : s).Order().ToArray();
        if (_genuine.Length == 0 || _impostor.Length == 0)
            throw new ArgumentException("A ROC curve needs genuine and impostor scores.");
    }

    public int GenuineCount => _genuine.Length;
    public int ImpostorCount => _impostor.Length;

    /// <summary>Fraction of scores ≥ threshold.</summary>
    private static double Above(double[] ascending, double threshold)
    {
        int index = Array.BinarySearch(ascending, threshold);
        if (index < 0)
            index = ~index;
        else
            while (index > 0 && ascending[index - 1] == threshold)
                index--;
        return (ascending.Length - index) / (double)ascending.Length;
    }

    public double Far(double threshold) => Above(_impostor, threshold);
    public double Tar(double threshold) => Above(_genuine, threshold);

    /// <summary>
    /// The lowest threshold whose false-accept rate is at most <paramref name="far"/>: just above the
    /// ⌊far·N⌋+1-th highest impostor score. When far·N &lt; 1 this means no false accept at all.
    /// </summary>
    public double ThresholdAt(double far)
    {
        int allowed = (int)Math.Floor(far * _impostor.Length);
        if (allowed >= _impostor.Length)
            return double.NegativeInfinity;
        double cut = _impostor[_impostor.Length - 1 - allowed];
        return double.IsPositiveInfinity(cut) ? cut : Math.BitIncrement(cut);
    }

    public double TarAt(double far) => Tar(ThresholdAt(far));

    /// <summary>The rate where false accepts equal false rejects, by linear interpolation between thresholds.</summary>
    public double EqualErrorRate()
    {
        var thresholds = _genuine.Concat(_impostor).Where(double.IsFinite).Distinct().Order().ToArray();
        double previousGap = double.NaN, previousEer = double.NaN;
        foreach (var t in thresholds)
        {
            double far = Far(t), frr = 1 - Tar(t);
            double gap = far - frr;
            if (gap <= 0)
            {
                if (double.IsNaN(previousGap))
                    return (far + frr) / 2;
                double w = previousGap / (previousGap - gap);
                return previousEer + w * ((far + frr) / 2 - previousEer);
            }
            previousGap = gap;
            previousEer = (far + frr) / 2;
        }
        return previousEer;
    }

    /// <summary>Points (FAR, TAR) at every distinct threshold, for plotting.</summary>
    public IEnumerable<(double Far, double Tar)> Points()
    {
        foreach (var t in _genuine.Concat(_impostor).Where(double.IsFinite).Distinct().OrderDescending())
            yield return (Far(t), Tar(t));
    }
}
