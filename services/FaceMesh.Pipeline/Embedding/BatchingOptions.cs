namespace FaceMesh.Pipeline.Embedding;

/// <summary>How the <see cref="EmbeddingBatcher"/> gathers concurrent requests into inference batches.</summary>
public sealed record BatchingOptions
{
    /// <summary>Most crops in one inference batch (a flipped crop counts twice).</summary>
    public int MaxBatchSize { get; init; } = 16;

    /// <summary>Longest a crop waits for others to join its batch.</summary>
    public TimeSpan MaxQueueDelay { get; init; } = TimeSpan.FromMilliseconds(4);

    /// <summary>Most crops queued or in inference at once; beyond it requests are refused as busy.</summary>
    public int QueueCapacity { get; init; } = 512;

    public void Validate()
    {
        if (MaxBatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "Embedder:MaxBatchSize must be at least 1.");
        if (MaxQueueDelay < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(MaxQueueDelay), MaxQueueDelay, "Embedder:MaxQueueDelay must not be negative.");
        if (QueueCapacity < MaxBatchSize)
            throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, "Embedder:QueueCapacity must be at least Embedder:MaxBatchSize.");
    }
}
