namespace FaceMesh.Pipeline.Embedding;

/// <summary>The batching queue is full: the caller should retry later (gRPC <c>RESOURCE_EXHAUSTED</c>).</summary>
public sealed class EmbedderBusyException(string message) : Exception(message);
