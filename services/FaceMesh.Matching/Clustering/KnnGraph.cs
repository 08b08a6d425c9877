using FaceMesh.Matching.Embedded;

namespace FaceMesh.Matching.Clustering;

/// <summary>
/// Each face's nearest other faces by cosine similarity, best first: the graph every clustering method here starts
/// from. Built with the store's own exact search (<see cref="VectorRows"/>: the int8 scan re-ranked with floats, or
/// the float scan), queries in batches so that each pass over the rows serves many faces.
/// </summary>
public sealed class KnnGraph
{
    /// <summary>Queries per pass over the rows.</summary>
    public const int QueryBatch = 64;

    private KnnGraph(IReadOnlyList<(int Face, float Score)[]> neighbours, int k, VectorOf vector)
    {
        Neighbours = neighbours;
        K = k;
        Vector = vector;
    }

    /// <summary>A face's unit vector.</summary>
    public delegate ReadOnlySpan<float> VectorOf(int face);

    /// <summary>The faces' unit vectors (average linkage sums them).</summary>
    public VectorOf Vector { get; }

    /// <summary>Per face, its <see cref="K"/> nearest other faces (fewer when there are fewer), best first.</summary>
    public IReadOnlyList<(int Face, float Score)[]> Neighbours { get; }

    public int K { get; }

    public int Count => Neighbours.Count;

    /// <summary>The graph of unit vectors of one dimension; <paramref name="progress"/> is told the faces done so far.</summary>
    public static KnnGraph Build(IReadOnlyList<float[]> vectors, int k, bool int8 = true, Action<int>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (vectors.Count == 0)
            return new KnnGraph([], k, i => vectors[i]);
        var rows = new VectorRows(vectors[0].Length, int8);
        for (int i = 0; i < vectors.Count; i++)
        {
            if (vectors[i].Length != rows.Dimension)
                throw new ArgumentException(
                    $"Face {i} has {vectors[i].Length} dimensions; the first has {rows.Dimension}.", nameof(vectors));
            rows.Set(i, vectors[i]);
        }
        return new KnnGraph(Nearest(rows, Enumerable.Range(0, rows.Count).ToArray(), k, progress), k, i => vectors[i]);
    }

    /// <summary>The graph of the rows a store already holds (no copy of the vectors).</summary>
    internal static KnnGraph Build(VectorRows rows, int k, Action<int>? progress = null) =>
        new(Nearest(rows, Enumerable.Range(0, rows.Count).ToArray(), k, progress), k, rows.Row);

    /// <summary>The <paramref name="k"/> nearest other rows of each of <paramref name="faces"/>, in their order,
    /// queries <see cref="QueryBatch"/> at a time.</summary>
    internal static (int Face, float Score)[][] Nearest(VectorRows rows, int[] faces, int k, Action<int>? progress = null)
    {
        var neighbours = new (int, float)[faces.Length][];
        for (int start = 0; start < faces.Length; start += QueryBatch)
        {
            int count = Math.Min(QueryBatch, faces.Length - start);
            var batch = new float[count][];
            for (int i = 0; i < count; i++)
                batch[i] = rows.Row(faces[start + i]).ToArray();
            // k + 1: a face finds itself first (or a copy of itself), and is left out.
            var best = rows.Best(batch, k + 1);
            for (int i = 0; i < count; i++)
            {
                int self = faces[start + i];
                neighbours[start + i] = best[i].Where(b => b.Row != self).Take(k).Select(b => (b.Row, b.Score)).ToArray();
            }
            progress?.Invoke(start + count);
        }
        return neighbours;
    }

}
