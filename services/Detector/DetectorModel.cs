using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline;
using FaceMesh.Pipeline.Detection;
using FaceMesh.Pipeline.Runtime;
using Microsoft.Extensions.Options;

namespace FaceMesh.Detector;

/// <summary>The pack's <see cref="FaceFinder"/> and the image limits: one per process.</summary>
public sealed class DetectorModel : IDisposable
{
    public DetectorModel(IOptions<DetectorOptions> options, ILogger<DetectorModel> logger)
    {
        var o = options.Value;
        var pack = ModelPack.Load(o.Pack);
        Finder = FaceFinder.Open(pack, new PipelineOptions
        {
            Inference = new InferenceOptions { Provider = o.Provider },
            MultiScaleOptions = new MultiScaleOptions { Strategy = o.CrowdStrategy, MirroredPass = o.CrowdMirroredPass },
        }, message => logger.LogWarning("{Message}", message));
        Limits = new ImageLimits { MaxBytes = o.MaxImageBytes, MaxPixels = o.MaxImagePixels, MaxDecodePixels = o.MaxDecodePixels };
        Budget = new DecodeBudget((long)o.DecodeBudgetMegabytes << 20);
        DecodeWait = TimeSpan.FromMilliseconds(o.DecodeWaitMilliseconds);
        DetectorMetrics.Observe(Budget);
        MaxFaces = o.MaxFaces;
        if (o.LivenessPack.Length > 0)
        {
            Liveness = new Pipeline.Liveness.LivenessModel(ModelPack.Load(o.LivenessPack), new InferenceOptions { Provider = o.Provider },
                message => logger.LogWarning("{Message}", message));
            logger.LogInformation("Liveness {Model} from pack {Pack}, live at or above {Threshold}", Liveness.ModelId, o.LivenessPack,
                Liveness.Threshold);
        }
        logger.LogInformation("Detector {Kind} from pack {Pack}; crowd mode {Strategy}, mirrored pass {Mirrored}", pack.Manifest.Detector.Kind, pack.Manifest.Name, o.CrowdStrategy, o.CrowdMirroredPass);
    }

    public FaceFinder Finder { get; }

    /// <summary>The liveness model, when <see cref="DetectorOptions.LivenessPack"/> names one.</summary>
    public Pipeline.Liveness.LivenessModel? Liveness { get; }
    public ImageLimits Limits { get; }

    /// <summary>Bounds the pixels held by requests at once (decode and detection).</summary>
    public DecodeBudget Budget { get; }

    public TimeSpan DecodeWait { get; }
    public int MaxFaces { get; }

    public void Dispose()
    {
        Finder.Dispose();
        Liveness?.Dispose();
    }
}
