using System.Numerics.Tensors;
using FaceMesh.Matching.Embedded;

namespace FaceMesh.Matching.Clustering;

/// <summary>
/// People kept up to date as faces arrive, by the rule average linkage merges by: a new face joins the group, among
/// those of its nearest faces above the edge threshold, whose mean cosine to it (ΣG·v / |G|) is highest, if that
/// reaches the linkage threshold; otherwise it starts a group, or waits when it is below the quality gate. Waiting
/// faces are tried again after every batch, so a face that came before its person's first good photo joins once that
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
    private int _nextGroup;

    public int Count => _rows.Count;

    /// <summary>Each face's group, or <see cref="FaceClustering.Unassigned"/> while it waits.</summary>
    public IReadOnlyList<int> Groups => _group;

    public int GroupCount => _groups.Count;

    /// <summary>Faces below the quality gate with no grouped face near enough yet.</summary>
    public int WaitingCount => _waiting.Count;

    /// <summary>Bytes per face: the vectors (floats and the int8 copy), its group, its quality; the groups' sums come on top.</summary>
    public int BytesPerFace => _rows.BytesPerRow + 2 * sizeof(int);

    /// <summary>Adds faces (unit vectors) in order, each grouped as it arrives; returns their groups.</summary>
    public int[] Add(IReadOnlyList<float[]> vectors, IReadOnlyList<float>? quality = null)
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

    /// <summary>Faces that waited before this batch, placed again against what is grouped now.</summary>
    private void RetryWaiting(int[] faces)
    {
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
