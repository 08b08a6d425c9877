using System.Numerics.Tensors;

namespace FaceMesh.Pipeline.Embedding;

public static class CosineSimilarity
{
    /// <summary>Cosine similarity in [−1, 1]; for unit vectors this is their dot product.</summary>
    public static float Of(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"Embeddings differ in size ({a.Length} and {b.Length}): they come from different models.");
        return TensorPrimitives.CosineSimilarity(a, b);
    }
}
