namespace FaceMesh.Pipeline.Embedding;

/// <summary>One inference batch: how many crops, how long the oldest waited, how long the model ran.</summary>
public readonly record struct BatchCompleted(int Crops, TimeSpan OldestQueueWait, TimeSpan Inference);
