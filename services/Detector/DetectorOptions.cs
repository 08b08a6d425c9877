using System.ComponentModel.DataAnnotations;
using FaceMesh.Pipeline.Detection;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Detector;

/// <summary>Configuration section <c>Detector</c>; defaults and meanings in appsettings.json.</summary>
public sealed class DetectorOptions
{
    public const string Section = "Detector";

    [Required(ErrorMessage = "Detector:Pack must name a model pack folder.")]
    public string Pack { get; set; } = "";

    public ExecutionProvider Provider { get; set; } = ExecutionProvider.Cpu;

    /// <summary>A liveness pack (deploy/models/liveness-*): every face found gets a liveness score and decision. Empty: off.</summary>
    public string LivenessPack { get; set; } = "";

    [Range(1, 1000, ErrorMessage = "Detector:MaxFaces must be between 1 and 1000.")]
    public int MaxFaces { get; set; } = 100;

    [Range(1, 1L << 30, ErrorMessage = "Detector:MaxImageBytes must be between 1 and 1 GiB.")]
    public long MaxImageBytes { get; set; } = 20L * 1024 * 1024;

    [Range(1, 1L << 32, ErrorMessage = "Detector:MaxImagePixels must be positive.")]
    public long MaxImagePixels { get; set; } = 40_000_000;

    /// <summary>Photos above this many pixels are decoded at a reduced scale by the codec (JPEG, WebP); detection never needs
    /// more.</summary>
    [Range(1_000_000, 1L << 32, ErrorMessage = "Detector:MaxDecodePixels must be at least 1,000,000.")]
    public long MaxDecodePixels { get; set; } = 8_000_000;

    /// <summary>
    /// Memory for images being decoded and detected at once, all requests together (MiB). The default suits the chart's
    /// 1 GiB Detector: models and runtime take about 400 MiB, detection's working images about a third of this budget.
    /// </summary>
    [Range(16, 1 << 20, ErrorMessage = "Detector:DecodeBudgetMegabytes must be between 16 and 1048576.")]
    public int DecodeBudgetMegabytes { get; set; } = 320;

    /// <summary>How long a request waits for room in the decode budget before RESOURCE_EXHAUSTED (with retry-after-ms).</summary>
    [Range(0, 60_000, ErrorMessage = "Detector:DecodeWaitMilliseconds must be between 0 and 60000.")]
    public int DecodeWaitMilliseconds { get; set; } = 5000;

    /// <summary>
    /// How the crowd mode (<c>multi_scale</c>) looks: <c>FullResolution</c> (the detector at the photo's own size),
    /// <c>Pyramid</c> (tiles) or <c>Fused</c> (with the pack's second detector, about 3 times the cost); tools/eval/README.md.
    /// </summary>
    [EnumDataType(typeof(CrowdStrategy), ErrorMessage = "Detector:CrowdStrategy must be FullResolution, Pyramid or Fused.")]
    public CrowdStrategy CrowdStrategy { get; set; } = CrowdStrategy.FullResolution;

    /// <summary>The crowd mode looks at the mirrored photo too (0.016 more AP on wider-dev, about twice the time).</summary>
    public bool CrowdMirroredPass { get; set; } = true;
}
