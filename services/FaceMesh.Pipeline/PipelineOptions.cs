using FaceMesh.Pipeline.Detection;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Pipeline;

/// <summary>How the pipeline runs. The defaults are the measured best; see the README's accuracy table.</summary>
public sealed record PipelineOptions
{
    public InferenceOptions Inference { get; init; } = InferenceOptions.Default;

    /// <summary>Embed each crop and its mirror image and average them.</summary>
    public bool FlipAugmentation { get; init; } = true;

    /// <summary>Block-average large faces before they are shrunk for the landmark model and the aligned crop.</summary>
    public bool AntiAliasedAlignment { get; init; } = true;

    /// <summary>Landmark passes: a second pass re-centres the crop on the points of the first.</summary>
    public int LandmarkPasses { get; init; } = 2;

    /// <summary>Also search an image pyramid of tiles (for crowds and large photos); slower.</summary>
    public bool MultiScale { get; init; }

    public MultiScaleOptions MultiScaleOptions { get; init; } = new();

    /// <summary>Detector score threshold; null keeps the pack's.</summary>
    public float? ScoreThreshold { get; init; }

    /// <summary>
    /// For a photo that must show a face (an enrolment or a probe of one person): when nothing is found,
    /// search again with the pyramid and this lower score threshold. Null turns the retry off.
    /// </summary>
    public float? RetryScoreThreshold { get; init; } = 0.5f;

    /// <summary>
    /// Choosing the face of a photo of one person: only faces scoring within this margin of the best
    /// detection compete for largest-and-most-central. Null lets every detection compete.
    /// </summary>
    public float? PrimaryScoreMargin { get; init; } = 0.15f;

    /// <summary>Largest embedder batch.</summary>
    public int MaxBatch { get; init; } = 32;

    /// <summary>The pipeline as the reference port ran it: one landmark pass, no flip, no anti-aliasing, no retry, every face competing for primary.</summary>
    public static PipelineOptions Baseline { get; } = new()
    {
        FlipAugmentation = false,
        AntiAliasedAlignment = false,
        RetryScoreThreshold = null,
        LandmarkPasses = 1,
        PrimaryScoreMargin = null,
    };
}
