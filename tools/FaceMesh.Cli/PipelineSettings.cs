using FaceMesh.Pipeline.Detection;
using System.ComponentModel;
using FaceMesh.Pipeline;
using FaceMesh.Pipeline.Runtime;
using Spectre.Console.Cli;

namespace FaceMesh.Cli;

/// <summary>The options every command that runs the pipeline shares.</summary>
public class PipelineSettings : CommandSettings
{
    [CommandOption("--pack <PACK>")]
    [Description("Model pack: a name in the packs folder (default, blazeface) or a folder with a manifest.json.")]
    [DefaultValue("default")]
    public string Pack { get; init; } = "default";

    [CommandOption("--baseline")]
    [Description("Run as the reference port did: one landmark pass, no flip, no anti-aliasing, no retry, every face competing for primary.")]
    public bool Baseline { get; init; }

    [CommandOption("--flip <BOOL>")]
    [Description("Flip test-time augmentation (embed the crop and its mirror).")]
    public bool? Flip { get; init; }

    [CommandOption("--antialias <BOOL>")]
    [Description("Block-average large faces before the alignment warp.")]
    public bool? AntiAlias { get; init; }

    [CommandOption("--retry <BOOL>")]
    [Description("When no face is found in a photo of one person, search again with the pyramid and a lower score threshold.")]
    public bool? Retry { get; init; }

    [CommandOption("--padded-retry <BOOL>")]
    [Description("When the retry finds no face either, search the photo once more inside a black border (faces that fill the frame).")]
    public bool? PaddedRetry { get; init; }

    [CommandOption("--padded-pass <BOOL>")]
    [Description("Photos of one person: always search the photo inside a black border too, so a face that fills the frame competes.")]
    public bool? PaddedPass { get; init; }

    [CommandOption("--embedder <MODEL_ID>")]
    [Description("Only this embedder of a fused pack (its model id), to measure it alone.")]
    public string? Embedder { get; init; }

    [CommandOption("--landmarks <MODELS>")]
    [Description("Landmark models: pack (the pack's choice), ibug68 (the 68-point model only) or facemesh (the face mesh only).")]
    [DefaultValue(LandmarkChoice.Pack)]
    public LandmarkChoice Landmarks { get; init; } = LandmarkChoice.Pack;

    [CommandOption("--mesh-above-yaw <DEGREES>")]
    [Description("The face mesh places the points of faces turned further than this (overrides the pack's faceMesh.useAboveYaw).")]
    public float? MeshAboveYaw { get; init; }

    [CommandOption("--landmark-passes <N>")]
    [Description("Landmark passes; the second re-centres the crop on the first pass's points.")]
    public int? LandmarkPasses { get; init; }

    [CommandOption("--primary-margin <SCORE>")]
    [Description("Photos of one person: only faces within this detector-score margin of the best compete for largest-and-most-central (negative: all compete).")]
    public float? PrimaryMargin { get; init; }

    [CommandOption("--multi-scale")]
    [Description("The crowd mode: look for small faces too (crowds, large photos); see --crowd-strategy.")]
    public bool MultiScale { get; init; }

    [CommandOption("--crowd-strategy <STRATEGY>")]
    [Description("How the crowd mode looks: full-resolution (the detector at the photo's own size, one run; the default where the pack's detector takes any size), pyramid (overlapping 320×240 tiles) or fused (both of the pack's detectors at full resolution, weighted box fusion).")]
    [DefaultValue("full-resolution")]
    public string CrowdStrategy { get; init; } = "full-resolution";

    private CrowdStrategy Crowd => CrowdStrategy.Replace("-", "").ToLowerInvariant() switch
    {
        "fullresolution" => Pipeline.Detection.CrowdStrategy.FullResolution,
        "pyramid" => Pipeline.Detection.CrowdStrategy.Pyramid,
        "fused" => Pipeline.Detection.CrowdStrategy.Fused,
        _ => throw new ArgumentException($"--crowd-strategy {CrowdStrategy}: use full-resolution, pyramid or fused."),
    };

    [CommandOption("--detector <WHICH>")]
    [Description("Which of the pack's detectors finds the faces: primary (the default) or second (the pack's secondDetector alone, to measure it).")]
    [DefaultValue("primary")]
    public string Detector { get; init; } = "primary";

    private DetectorChoice DetectorChoice => Detector.ToLowerInvariant() switch
    {
        "primary" => Pipeline.DetectorChoice.Primary,
        "second" => Pipeline.DetectorChoice.Second,
        _ => throw new ArgumentException($"--detector {Detector}: use primary or second."),
    };

    [CommandOption("--score-threshold <SCORE>")]
    [Description("Detector score threshold (default: the pack's).")]
    public float? ScoreThreshold { get; init; }

    [CommandOption("--provider <PROVIDER>")]
    [Description("Execution provider: cpu or cuda (falls back to the CPU when CUDA is not usable).")]
    [DefaultValue(ExecutionProvider.Cpu)]
    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Cpu;

    [CommandOption("--workers <N>")]
    [Description("Photos processed at once by the commands that process many.")]
    [DefaultValue(2)]
    public int Workers { get; init; } = 2;

    public PipelineOptions ToOptions()
    {
        var options = Baseline ? PipelineOptions.Baseline : new PipelineOptions();
        return options with
        {
            FlipAugmentation = Flip ?? options.FlipAugmentation,
            AntiAliasedAlignment = AntiAlias ?? options.AntiAliasedAlignment,
            RetryScoreThreshold = Retry == false ? null : Retry == true ? new PipelineOptions().RetryScoreThreshold : options.RetryScoreThreshold,
            PaddedRetryBorder = PaddedRetry == false ? null : PaddedRetry == true ? new PipelineOptions().PaddedRetryBorder : options.PaddedRetryBorder,
            LandmarkPasses = LandmarkPasses ?? options.LandmarkPasses,
            Landmarks = Landmarks,
            OnlyEmbedder = Embedder,
            PaddedPrimaryPass = PaddedPass ?? options.PaddedPrimaryPass,
            MeshAboveYaw = MeshAboveYaw,
            PrimaryScoreMargin = PrimaryMargin is { } margin ? (margin < 0 ? null : margin) : options.PrimaryScoreMargin,
            MultiScale = MultiScale,
            MultiScaleOptions = options.MultiScaleOptions with { Strategy = Crowd },
            Detector = DetectorChoice,
            ScoreThreshold = ScoreThreshold,
            Inference = options.Inference with { Provider = Provider },
        };
    }

    public FacePipeline OpenPipeline() =>
        FacePipeline.Open(PackLocator.Resolve(Pack), ToOptions(), message => Console.Error.WriteLine(message));
}
