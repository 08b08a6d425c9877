using System.ComponentModel.DataAnnotations;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Embedder;

/// <summary>Configuration section <c>Embedder</c>; defaults and meanings in appsettings.json.</summary>
public sealed class EmbedderOptions
{
    public const string Section = "Embedder";

    /// <summary>The model pack folder (its manifest names the embedder and its thresholds).</summary>
    [Required(ErrorMessage = "Embedder:Pack must name a model pack folder.")]
    public string Pack { get; set; } = "";

    /// <summary>cpu or cuda; cuda falls back to the CPU with one log line when it is not usable.</summary>
    public ExecutionProvider Provider { get; set; } = ExecutionProvider.Cpu;

    [Range(1, 1024, ErrorMessage = "Embedder:MaxBatchSize must be between 1 and 1024.")]
    public int MaxBatchSize { get; set; } = 16;

    [Range(0, 1000, ErrorMessage = "Embedder:MaxQueueDelayMs must be between 0 and 1000.")]
    public double MaxQueueDelayMs { get; set; }

    [Range(1, 1_000_000, ErrorMessage = "Embedder:QueueCapacity must be between 1 and 1000000.")]
    public int QueueCapacity { get; set; } = 512;
}
