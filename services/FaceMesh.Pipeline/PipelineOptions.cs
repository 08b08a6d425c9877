using FaceMesh.Pipeline.Detection;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Pipeline;

/// <summary>How the pipeline runs. The defaults are the measured best; see the README's accuracy table.</summary>
public sealed record PipelineOptions
{
    public InferenceOptions Inference { get; init; } = InferenceOptions.Default;

    /// <summary>Embed each crop and its mirror image and average them; null: as the pack says (its thresholds assume it).</summary>
    public bool? FlipAugmentation { get; init; }

    /// <summary>Block-average large faces before they are shrunk for the landmark model and the aligned crop.</summary>
    public bool AntiAliasedAlignment { get; init; } = true;

    /// <summary>Landmark passes: a second pass re-centres the crop on the points of the first.</summary>
    public int LandmarkPasses { get; init; } = 2;

    /// <summary>Which landmark models run, of those the pack has (measured: see the README's accuracy steps).</summary>
    public LandmarkChoice Landmarks { get; init; } = LandmarkChoice.Pack;

    /// <summary>Overrides the pack's <c>faceMesh.useAboveYaw</c>: the mesh places the points of faces turned further than this.</summary>
    public float? MeshAboveYaw { get; init; }

    /// <summary>Also search an image pyramid of tiles (for crowds and large photos); slower.</summary>
    public bool MultiScale { get; init; }

    public MultiScaleOptions MultiScaleOptions { get; init; } = new();

    /// <summary>Which of the pack's detectors finds the faces (the second one alone: to measure it).</summary>
    public DetectorChoice Detector { get; init; } = DetectorChoice.Primary;

    /// <summary>Detector score threshold; null keeps the pack's.</summary>
    public float? ScoreThreshold { get; init; }

    /// <summary>
    /// For a photo that must show a face (an enrolment or a probe of one person): when nothing is found,
    /// search again with the pyramid and this lower score threshold. Null turns the retry off.
    /// </summary>
    public float? RetryScoreThreshold { get; init; } = 0.5f;

    /// <summary>
    /// When the retry with the pyramid finds nothing either: detect once more on the photo centred on a black
    /// canvas with this border (a fraction of the longer side) on every side, for tight crops where the face
    /// fills the frame (<see cref="PaddedDetector"/>). Null turns it off.
    /// </summary>
    public float? PaddedRetryBorder { get; init; } = 1.0f;

    /// <summary>
    /// For a photo of one person: detect on the bordered photo (<see cref="PaddedRetryBorder"/>) too, not only when
    /// nothing is found, so a face that fills the frame competes with whatever smaller detection the plain pass made.
    /// </summary>
    public bool PaddedPrimaryPass { get; init; } = true;

    /// <summary>
    /// Choosing the face of a photo of one person: only faces scoring within this margin of the best
    /// detection compete for largest-and-most-central. Null lets every detection compete.
    /// </summary>
    public float? PrimaryScoreMargin { get; init; } = 0.15f;

    /// <summary>Run only this embedder of a fused pack (its model id), to measure it alone; its thresholds are not calibrated.</summary>
    public string? OnlyEmbedder { get; init; }

    /// <summary>Largest embedder batch.</summary>
    public int MaxBatch { get; init; } = 32;

    /// <summary>The pipeline as the reference port ran it: one landmark pass, no flip, no anti-aliasing, no retry, every face competing for
    /// primary.</summary>
    public static PipelineOptions Baseline { get; } = new()
    {
        FlipAugmentation = false,
        AntiAliasedAlignment = false,
        RetryScoreThreshold = null,
        PaddedRetryBorder = null,
        PaddedPrimaryPass = false,
        LandmarkPasses = 1,
        PrimaryScoreMargin = null,
    };
}

/// <summary>The pack's detector (<c>detector</c>) or its second one (<c>secondDetector</c>).</summary>
public enum DetectorChoice { Primary, Second }
