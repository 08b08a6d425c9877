namespace FaceMesh.Matching.Clustering;

/// <summary>How faces are grouped into people. See <see cref="FaceClustering"/> for each method.</summary>
public enum ClusteringMethod
{
    /// <summary>The rule photo libraries use (Immich): a face with <see cref="ClusteringOptions.MinFaces"/> − 1 others
    /// above the threshold is a core face and may start a person; the others only join one. The baseline.</summary>
    DensityRule,

    /// <summary>Approximate rank-order clustering (Otto, Wang and Jain, TPAMI 2018) on the kNN lists, each link also
    /// above the cosine threshold; linked faces merged transitively.</summary>
    RankOrder,

    /// <summary>Connected components of the mutual-kNN graph (a and b each among the other's k nearest) above the
    /// cosine threshold.</summary>
    MutualKnn,

    /// <summary>Chinese whispers (Biemann 2006) on the kNN graph above the cosine threshold, edges weighted by cosine.</summary>
    ChineseWhispers,

    /// <summary>Average linkage over the kNN graph: two groups joined by a link above the cosine threshold merge,
    /// best first, while the mean cosine over every pair of their faces reaches <see cref="ClusteringOptions.LinkageThreshold"/>
    /// (exact, from the groups' vector sums), so that no chain of single links merges two people.</summary>
    AverageLinkage,
}

/// <summary>The settings of a clustering run; how each default was chosen is in tools/eval/README.md (People).</summary>
public sealed record ClusteringOptions
{
    public ClusteringMethod Method { get; init; } = ClusteringMethod.AverageLinkage;

    /// <summary>Two faces may be linked only at or above this cosine similarity: the pack's calibrated threshold at
    /// <see cref="Far"/> (<see cref="AtFar"/>).</summary>
    public float EdgeThreshold { get; init; } = 0.78f;

    /// <summary>The false-accept rate <see cref="EdgeThreshold"/> was taken at, for reports.</summary>
    public string? Far { get; init; }

    /// <summary>Average linkage: the least mean cosine between two groups that merge: the pack's calibrated threshold
    /// at <see cref="LinkageFar"/>.</summary>
    public float LinkageThreshold { get; init; } = 0.74f;

    /// <summary>The false-accept rate <see cref="LinkageThreshold"/> was taken at, for reports.</summary>
    public string? LinkageFar { get; init; }

    /// <summary>Neighbours per face in the kNN graph.</summary>
    public int K { get; init; } = 20;

    /// <summary>Rank-order: faces are linked when their normalised rank-order distance is below this.</summary>
    public float RankOrderThreshold { get; init; } = 1.5f;

    /// <summary>Density rule: faces (itself included) above the threshold that make a face a core face.</summary>
    public int MinFaces { get; init; } = 3;

    /// <summary>Faces below this overall quality wait: they never link two groups or start one; they join the group
    /// of their nearest grouped face above the threshold, or stay unassigned until better faces arrive.</summary>
    public float MinQuality { get; init; } = 0.5f;

    /// <summary>Incremental: the most waiting faces tried again after one batch (they are taken in turn).</summary>
    public int MaxWaitingRetried { get; init; } = 1000;

    /// <summary>Chinese whispers: rounds over every face (it stops earlier when no label changes).</summary>
    public int Iterations { get; init; } = 20;

    /// <summary>These options with the edge threshold the pack calibrated at <paramref name="far"/> (e.g. "0.001") and
    /// the linkage threshold at <paramref name="linkageFar"/> (default: the same).</summary>
    public ClusteringOptions AtFar(IReadOnlyDictionary<string, float> thresholds, string far, string? linkageFar = null)
    {
        linkageFar ??= far;
        return this with
        {
            EdgeThreshold = Threshold(thresholds, far),
            Far = far,
            LinkageThreshold = Threshold(thresholds, linkageFar),
            LinkageFar = linkageFar,
        };
    }

    private static float Threshold(IReadOnlyDictionary<string, float> thresholds, string far) =>
        thresholds.TryGetValue(far, out float t)
            ? t
            : throw new ArgumentException(
                $"The pack has no threshold calibrated at FAR {far}; it has {string.Join(", ", thresholds.Keys)}. "
                + "Calibrate it (facemesh calibrate) or pick one of those.");
}

/// <summary>
/// What people said about the faces, which every clustering run keeps: faces pinned to a person (moved there,
/// or in a named person) stay together and apart from other persons' pins; a cannot-link ("not this person")
/// keeps two faces in different groups.
/// </summary>
public sealed record ClusterConstraints
{
    public static readonly ClusterConstraints None = new();

    /// <summary>Face index → the person it is pinned to.</summary>
    public IReadOnlyDictionary<int, string> Pinned { get; init; } = new Dictionary<int, string>();

    /// <summary>Pairs of face indexes that must end in different groups.</summary>
    public IReadOnlyCollection<(int A, int B)> CannotLinks { get; init; } = [];

    /// <summary>Per face of <paramref name="count"/>, the faces it must stay apart from (null: none).</summary>
    internal List<int>?[] CannotLinksByFace(int count)
    {
        var apart = new List<int>?[count];
        foreach (var (a, b) in CannotLinks)
        {
            (apart[a] ??= []).Add(b);
            (apart[b] ??= []).Add(a);
        }
        return apart;
    }
}
