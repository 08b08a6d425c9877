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

    private KnnGraph(IReadOnlyList<(int Face, float Score)[]> neighbours, int k, IReadOnlyList<float[]>? vectors)
    {
        Neighbours = neighbours;
        K = k;
        Vectors = vectors;
    }

    /// <summary>The faces' unit vectors (null for a graph made from lists alone): average linkage needs them.</summary>
    public IReadOnlyList<float[]>? Vectors { get; }

    /// <summary>Per face, its <see cref="K"/> nearest other faces (fewer when there are fewer), best first.</summary>
    public IReadOnlyList<(int Face, float Score)[]> Neighbours { get; }

    public int K { get; }

    public int Count => Neighbours.Count;

    /// <summary>The graph of unit vectors of one dimension; <paramref name="progress"/> is told the faces done so far.</summary>
    public static KnnGraph Build(IReadOnlyList<float[]> vectors, int k, bool int8 = true, Action<int>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (vectors.Count == 0)
            return new KnnGraph([], k, vectors);
        var rows = new VectorRows(vectors[0].Length, int8);
        for (int i = 0; i < vectors.Count; i++)
        {
            if (vectors[i].Length != rows.Dimension)
                throw new ArgumentException(
                    $"Face {i} has {vectors[i].Length} dimensions; the first has {rows.Dimension}.", nameof(vectors));
            rows.Set(i, vectors[i]);
        }
        var neighbours = new (int, float)[vectors.Count][];
        for (int start = 0; start < vectors.Count; start += QueryBatch)
        {
            int count = Math.Min(QueryBatch, vectors.Count - start);
            var batch = new float[count][];
            for (int i = 0; i < count; i++)
                batch[i] = vectors[start + i];
            // k + 1: a face finds itself first (or a copy of itself), and is left out.
            var best = rows.Best(batch, k + 1);
            for (int i = 0; i < count; i++)
            {
                int self = start + i;
                neighbours[self] = best[i].Where(b => b.Row != self).Take(k).Select(b => (b.Row, b.Score)).ToArray();
            }
            progress?.Invoke(start + count);
        }
        return new KnnGraph(neighbours, k, vectors);
    }

    /// <summary>A graph from given neighbour lists (tests, and the Matcher's incremental updates).</summary>
    public static KnnGraph FromLists(IReadOnlyList<(int Face, float Score)[]> neighbours, int k, IReadOnlyList<float[]>? vectors = null) =>
        new(neighbours, k, vectors);
}
