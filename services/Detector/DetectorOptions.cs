using System.ComponentModel.DataAnnotations;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Detector;

/// <summary>Configuration section <c>Detector</c>; defaults and meanings in appsettings.json.</summary>
public sealed class DetectorOptions
{
    public const string Section = "Detector";

    [Required(ErrorMessage = "Detector:Pack must name a model pack folder.")]
    public string Pack { get; set; } = "";

    public ExecutionProvider Provider { get; set; } = ExecutionProvider.Cpu;

    [Range(1, 1000, ErrorMessage = "Detector:MaxFaces must be between 1 and 1000.")]
    public int MaxFaces { get; set; } = 100;

    [Range(1, 1L << 30, ErrorMessage = "Detector:MaxImageBytes must be between 1 and 1 GiB.")]
    public long MaxImageBytes { get; set; } = 20L * 1024 * 1024;

    [Range(1, 1L << 32, ErrorMessage = "Detector:MaxImagePixels must be positive.")]
    public long MaxImagePixels { get; set; } = 40_000_000;
}
