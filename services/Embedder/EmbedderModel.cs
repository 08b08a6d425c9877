using FaceMesh.ModelPacks;
using FaceMesh.Pipeline.Embedding;
using FaceMesh.Pipeline.Runtime;
using FaceMesh.Pipeline.Verification;
using Microsoft.Extensions.Options;

namespace FaceMesh.Embedder;

/// <summary>The pack's embedder, its thresholds and the batcher in front of it: one per process.</summary>
public sealed class EmbedderModel : IAsyncDisposable
{
    public EmbedderModel(IOptions<EmbedderOptions> options, ILogger<EmbedderModel> logger)
    {
        var o = options.Value;
        var pack = ModelPack.Load(o.Pack);
        Embedder = FaceEmbedder.Open(pack, new InferenceOptions { Provider = o.Provider },
                                     message => logger.LogWarning("{Message}", message), o.MaxBatchSize);
        Thresholds = VerificationThresholds.From(pack.Manifest.Thresholds);
        FlipAugmentation = pack.Manifest.FlipAugmentation;
        PackName = pack.Manifest.Name;
        PackDescription = pack.Manifest.Description;
        Batcher = new EmbeddingBatcher(Embedder, new BatchingOptions
        {
            MaxBatchSize = o.MaxBatchSize,
            MaxQueueDelay = TimeSpan.FromMilliseconds(o.MaxQueueDelayMs),
            QueueCapacity = Math.Max(o.QueueCapacity, o.MaxBatchSize),
        });
        logger.LogInformation("Embedder {ModelId} ({Dimension}-d: {Models}) on {Provider}, batches up to {MaxBatch} crops, {Delay} ms queue delay",
                              Embedder.ModelId, Embedder.Dimension, string.Join(" + ", Embedder.Models.Select((m, i) => $"{m.ModelId} × {Embedder.Weights[i]:F2}")),
                              Embedder.Provider, o.MaxBatchSize, o.MaxQueueDelayMs);
    }

    public FaceEmbedder Embedder { get; }
    public EmbeddingBatcher Batcher { get; }
    public VerificationThresholds Thresholds { get; }

    /// <summary>The pack's name and description, as its manifest gives them.</summary>
    public string PackName { get; }
    public string PackDescription { get; }

    /// <summary>Whether the pack's embeddings are made with flip augmentation (when a request does not say).</summary>
    public bool FlipAugmentation { get; }

    public async ValueTask DisposeAsync()
    {
        await Batcher.DisposeAsync();
        Embedder.Dispose();
    }
}
