using System.Numerics.Tensors;
using FaceMesh.Matching.Embedded;

namespace FaceMesh.Matching.Clustering;

/// <summary>
/// People kept up to date as faces arrive, by the rule average linkage merges by: a new face joins the group, among
/// those of its nearest faces above the edge threshold, whose mean cosine to it (ΣG·v / |G|) is highest, if that
/// reaches the linkage threshold; otherwise it starts a group, or waits when it is below the quality gate. Waiting
/// faces are tried again after every batch (at most <see cref="ClusteringOptions.MaxWaitingRetried"/> of them, in turn), so a face that
/// came before its person's first good photo joins once that
/// photo arrives (or at a re-clustering). <see cref="Recluster"/> runs average linkage over every face again: it repairs
/// the groups with what arrived since (merges the new faces support) and keeps the corrections it is given.
/// The vectors are held once, in the store's own rows (int8 scan re-ranked with floats, or floats).
/// Not thread-safe: the Matcher holds one writer per gallery.
/// </summary>
public sealed class IncrementalClustering(int dimension, ClusteringOptions options, bool int8 = true)
{
    private readonly VectorRows _rows = new(dimension, int8);
    private readonly List<float> _quality = [];
    private readonly List<int> _group = [];
    private readonly Dictionary<int, (float[] Sum, int Size)> _groups = [];
    private readonly SortedSet<int> _waiting = [];
    private int _nextGroup, _retryFrom;

    /// <summary>The thresholds and settings; a change applies to the faces placed after it.</summary>
    public ClusteringOptions Options
    {
        get => options;
        set => options = value;
    }

    public int Count => _rows.Count;

    /// <summary>Each face's group, or <see cref="FaceClustering.Unassigned"/> while it waits.</summary>
    public IReadOnlyList<int> Groups => _group;

    public int GroupCount => _groups.Count;

    /// <summary>How many faces a group has (0 for a number no group has).</summary>
    public int SizeOf(int group) => _groups.TryGetValue(group, out var g) ? g.Size : 0;

    /// <summary>Faces below the quality gate with no grouped face near enough yet.</summary>
    public int WaitingCount => _waiting.Count;

    /// <summary>The waiting faces, in order.</summary>
    public IReadOnlyCollection<int> Waiting => _waiting;

    /// <summary>Bytes per face: the vectors (floats and the int8 copy), its group, its quality; the groups' sums come on top.</summary>
    public int BytesPerFace => _rows.BytesPerRow + 2 * sizeof(int);

    public ReadOnlySpan<float> Vector(int face) => _rows.Row(face);

    public float Quality(int face) => _quality[face];

    /// <summary>Adds faces (unit vectors) in order, each grouped as it arrives; returns their groups.</summary>
    public int[] Add(IReadOnlyList<float[]> vectors, IReadOnlyList<float>? quality = null)
    {
        int first = Append(vectors, quality);
        // The neighbours of every new face, among the old faces and the new; the new ones are grouped in order, so a
        // face may join a group that an earlier face of the same batch started.
        var near = KnnGraph.Nearest(_rows, Enumerable.Range(first, vectors.Count).ToArray(), options.K);
        var result = new int[vectors.Count];
        var waitedBefore = _waiting.ToArray();
        for (int i = 0; i < vectors.Count; i++)
            result[i] = Place(first + i, near[i]);
        RetryWaiting(waitedBefore);
        return result;
    }

    /// <summary>
    /// Faces already grouped (a restart: the groups as they were stored), added without a search; a face of group
    /// <see cref="FaceClustering.Unassigned"/> waits.
    /// </summary>
    public void AddGrouped(IReadOnlyList<float[]> vectors, IReadOnlyList<float> quality, IReadOnlyList<int> groups)
    {
        int first = Append(vectors, quality);
        for (int i = 0; i < vectors.Count; i++)
            MoveTo(first + i, groups[i]);
    }

    /// <summary>A group number no face has yet (for a face moved to a new person).</summary>
    public int NewGroup() => _nextGroup++;

    /// <summary>
    /// Moves a face to <paramref name="group"/> (any number: a new one starts a group), or to the waiting faces with
    /// <see cref="FaceClustering.Unassigned"/>; the groups' sums follow.
    /// </summary>
    public void MoveTo(int face, int group)
    {
        int old = _group[face];
        if (old == group && (group != FaceClustering.Unassigned || _waiting.Contains(face)))
            return;
        if (old != FaceClustering.Unassigned)
        {
            var (sum, size) = _groups[old];
            TensorPrimitives.Subtract(sum, _rows.Row(face), sum);
            if (size == 1)
                _groups.Remove(old);
            else
                _groups[old] = (sum, size - 1);
        }
        _group[face] = FaceClustering.Unassigned;
        if (group == FaceClustering.Unassigned)
        {
            _waiting.Add(face);
            return;
        }
        Join(face, group);
        _nextGroup = Math.Max(_nextGroup, group + 1);
    }

    private int Append(IReadOnlyList<float[]> vectors, IReadOnlyList<float>? quality)
    {
        int first = _rows.Count;
        for (int i = 0; i < vectors.Count; i++)
        {
            if (vectors[i].Length != dimension)
                throw new ArgumentException(
                    $"Face {i} has {vectors[i].Length} dimensions; this clustering takes {dimension}.", nameof(vectors));
            _rows.Set(first + i, vectors[i]);
            _quality.Add(quality?[i] ?? 1f);
            _group.Add(FaceClustering.Unassigned);
        }
        return first;
    }

    /// <summary>
    /// Waiting faces from before this batch, placed again against what is grouped now: at most
    /// <see cref="ClusteringOptions.MaxWaitingRetried"/> per batch, taken in turn, so that a library with many poor faces
    /// does not pay a search for each of them on every photo.
    /// </summary>
    private void RetryWaiting(int[] waiting)
    {
        int[] faces = waiting;
        if (waiting.Length > options.MaxWaitingRetried)
        {
            int start = Array.FindIndex(waiting, f => f >= _retryFrom);
            if (start < 0)
                start = 0;
            faces = Enumerable.Range(0, options.MaxWaitingRetried).Select(i => waiting[(start + i) % waiting.Length]).ToArray();
            _retryFrom = faces[^1] + 1;
        }
        var near = KnnGraph.Nearest(_rows, faces, options.K);
        for (int i = 0; i < faces.Length; i++)
            Place(faces[i], near[i]);
    }

    private int Place(int face, (int Face, float Score)[] neighbours)
    {
        var vector = _rows.Row(face);
        int best = FaceClustering.Unassigned;
        float bestMean = float.NegativeInfinity;
        foreach (var (other, score) in neighbours)
        {
            if (score < options.EdgeThreshold)
                break;
            int group = _group[other];
            if (group == FaceClustering.Unassigned || group == best)
                continue;
            var (sum, size) = _groups[group];
            float mean = TensorPrimitives.Dot(sum, vector) / size;
            if (mean > bestMean)
                (best, bestMean) = (group, mean);
        }
        if (best != FaceClustering.Unassigned && bestMean >= options.LinkageThreshold)
            Join(face, best);
        else if (_quality[face] >= options.MinQuality)
            Join(face, _nextGroup++);
        else
            _waiting.Add(face);
        return _group[face];
    }

    private void Join(int face, int group)
    {
        _waiting.Remove(face);
        if (!_groups.TryGetValue(group, out var g))
            g = (new float[dimension], 0);
        TensorPrimitives.Add(g.Sum, _rows.Row(face), g.Sum);
        _groups[group] = (g.Sum, g.Size + 1);
        _group[face] = group;
    }

    /// <summary>Average linkage over every face again, keeping <paramref name="constraints"/>; groups are renumbered.</summary>
    public void Recluster(ClusterConstraints? constraints = null, Action<int>? progress = null)
    {
        var graph = KnnGraph.Build(_rows, options.K, progress);
        var labels = FaceClustering.Cluster(graph, options with { Method = ClusteringMethod.AverageLinkage }, _quality, constraints);
        _groups.Clear();
        _waiting.Clear();
        _nextGroup = 0;
        for (int face = 0; face < labels.Length; face++)
        {
            _group[face] = FaceClustering.Unassigned;
            if (labels[face] != FaceClustering.Unassigned)
            {
                Join(face, labels[face]);
                _nextGroup = Math.Max(_nextGroup, labels[face] + 1);
            }
            else
            {
                _waiting.Add(face);
            }
        }
    }
}
