using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline.Alignment;
using FaceMesh.Pipeline.Detection;
using FaceMesh.Pipeline.Quality;

namespace FaceMesh.Pipeline;

/// <summary>
/// The first half of the pipeline of one model pack, from pixels to aligned faces: detect, locate five
/// landmarks, align to the embedder's reference, assess quality. The Detector service runs this half;
/// <see cref="FacePipeline"/> adds the embedder. Thread-safe: ONNX Runtime sessions may be run concurrently.
/// </summary>
public sealed class FaceFinder : IDisposable
{
    private readonly IFaceDetector _detector;
    private readonly IFaceDetector? _second;
    private readonly MultiScaleDetector _pyramid;
    private readonly IFaceDetector _crowd;
    private readonly PaddedDetector? _padded;
    private readonly LandmarkModel? _landmarks;
    private readonly FaceMeshModel? _mesh;
    private readonly FaceAligner[] _aligners;

    private FaceFinder(ModelPack pack, PipelineOptions options, Action<string>? log)
    {
        Pack = pack;
        Options = options;
        var m = pack.Manifest;
        var second = m.SecondDetector;
        bool fused = options.MultiScaleOptions.Strategy == CrowdStrategy.Fused;
        if (second is null && (options.Detector == DetectorChoice.Second || fused))
            throw new ModelFileException($"Pack '{m.Name}' has no second detector (secondDetector in its manifest), which the fused crowd mode (Detector:CrowdStrategy Fused, --crowd-strategy fused) and --detector second need; the default pack has one.");
        if (fused && options.Detector == DetectorChoice.Second)
            throw new ArgumentException("The fused crowd mode runs both of the pack's detectors; choose the second detector alone or the fused mode, not both.");
        DetectorSpec = options.Detector == DetectorChoice.Second ? second! : m.Detector;
        _detector = OpenDetector(pack, DetectorSpec, options, log);
        _second = fused ? OpenDetector(pack, second!, options, log) : null;
        // The crowd mode: one full-resolution pass where the detector takes any size, else a pyramid of tiles; fused:
        // both detectors' crowd modes, combined.
        _pyramid = new MultiScaleDetector(_detector, options.MultiScaleOptions, DetectorSpec.NmsIouThreshold);
        _crowd = options.MultiScaleOptions.Strategy switch
        {
            // The second detector's mirrored view was not measured: it would cost another full-resolution BlazeFace run.
            CrowdStrategy.Fused => new WeightedBoxFusion(
                [CrowdOf(_detector, DetectorSpec, options), CrowdOf(_second!, second!, options with { MultiScaleOptions = options.MultiScaleOptions with { MirroredPass = false } })],
                options.MultiScaleOptions.FusionIouThreshold),
            CrowdStrategy.FullResolution => CrowdOf(_detector, DetectorSpec, options),
            _ => _pyramid,
        };
        _padded = options.PaddedRetryBorder is { } border ? new PaddedDetector(_detector, border) : null;
        _landmarks = m.Landmarks is null || options.Landmarks == LandmarkChoice.FaceMesh
            ? null : new LandmarkModel(pack.PathOf(m.Landmarks.File), m.Landmarks, options.Inference, log, options.AntiAliasedAlignment);
        _mesh = m.FaceMesh is null || options.Landmarks == LandmarkChoice.Ibug68
            ? null : new FaceMeshModel(pack.PathOf(m.FaceMesh.File), m.FaceMesh, options.Inference, log);
        _aligners = AlignmentSpec.Of(m).Crops.Select(spec => new FaceAligner(spec, options.AntiAliasedAlignment)).ToArray();
    }

    private static IFaceDetector OpenDetector(ModelPack pack, DetectorSpec spec, PipelineOptions options, Action<string>? log) => spec.Kind switch
    {
        DetectorKind.UltraLight => new UltraLightDetector(pack, spec, options.Inference, log),
        DetectorKind.BlazeFace => new BlazeFaceDetector(pack.PathOf(spec.File), spec, options.Inference, log),
        _ => throw new ModelFileException($"Unknown detector kind '{spec.Kind}' in pack '{pack.Manifest.Name}'."),
    };

    /// <summary>The full-resolution crowd mode of a detector that takes any size, else its pyramid of tiles.</summary>
    private static IFaceDetector CrowdOf(IFaceDetector detector, DetectorSpec spec, PipelineOptions options) =>
        detector is IAnySizeDetector { AnySize: true } anySize
            ? new CrowdDetector(anySize, options.MultiScaleOptions, spec.NmsIouThreshold)
            : new MultiScaleDetector(detector, options.MultiScaleOptions, spec.NmsIouThreshold);

    /// <summary>Opens the pack's detector and landmark model (the pack's files are verified by <see cref="ModelPack.Load"/>).</summary>
    public static FaceFinder Open(ModelPack pack, PipelineOptions? options = null, Action<string>? log = null) =>
        new(pack, options ?? new PipelineOptions(), log);

    public ModelPack Pack { get; }

    /// <summary>The spec of the detector that finds the faces: the pack's, or its second one (<see
    /// cref="PipelineOptions.Detector"/>).</summary>
    public DetectorSpec DetectorSpec { get; }

    /// <summary>The crops each face gets, one per distinct alignment of the pack's embedders, in order.</summary>
    public IReadOnlyList<AlignmentSpec> Crops => _aligners.Select(a => a.Spec).ToArray();
    public PipelineOptions Options { get; }

    /// <summary>
    /// Every face in the image, best detector score first; with <paramref name="maxFaces"/>, only the largest that many are
    /// landmarked and aligned (a crowd photo costs no landmark runs for faces the caller will not get).
    /// </summary>
    public IReadOnlyList<Face> Detect(RgbImage image, bool? multiScale = null, float? scoreThreshold = null, int maxFaces = int.MaxValue)
    {
        var detector = multiScale ?? Options.MultiScale ? _crowd : _detector;
        IReadOnlyList<DetectedFace> detections;
        using (var span = PipelineTelemetry.Source.StartActivity("detect"))
        {
            detections = detector.Detect(image, scoreThreshold ?? Options.ScoreThreshold);
            span?.SetTag("facemesh.image.pixels", (long)image.Width * image.Height);
            span?.SetTag("facemesh.faces", detections.Count);
        }
        if (detections.Count > maxFaces)
        {
            var largest = detections.OrderByDescending(d => d.Box.Area).Take(Math.Max(0, maxFaces)).ToHashSet();
            detections = detections.Where(largest.Contains).ToArray();
        }
        return DescribeAll(image, detections);
    }

    /// <summary>Landmarks, alignment and quality of every detection, in one "align" span.</summary>
    private Face[] DescribeAll(RgbImage image, IReadOnlyList<DetectedFace> detections)
    {
        using var align = detections.Count > 0 ? PipelineTelemetry.Source.StartActivity("align") : null;
        align?.SetTag("facemesh.faces", detections.Count);
        if (detections.Count < 2)
            return detections.Select(d => Describe(image, d)).ToArray();
        // A group or crowd photo: the faces side by side, one per core (each face's landmark, mesh and alignment steps
        // are small models and warps that one core runs best), in detection order.
        var faces = new Face[detections.Count];
        try
        {
            Parallel.For(0, detections.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => faces[i] = Describe(image, detections[i]));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // The first face's error as one face alone would have raised it (callers map its type to a status).
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
        return faces;
    }

    private IReadOnlyList<Face> Describe(RgbImage image, IFaceDetector detector, float scoreThreshold)
    {
        IReadOnlyList<DetectedFace> detections;
        using (var span = PipelineTelemetry.Source.StartActivity("detect"))
        {
            detections = detector.Detect(image, scoreThreshold);
            span?.SetTag("facemesh.retry", detector.GetType().Name);
            span?.SetTag("facemesh.faces", detections.Count);
        }
        return DescribeAll(image, detections);
    }

    /// <summary>Raw detections (boxes, scores, keypoints), without landmarks or alignment: for detection benchmarks.</summary>
    public IReadOnlyList<DetectedFace> DetectBoxes(RgbImage image, bool? multiScale = null, float? scoreThreshold = null) =>
        (multiScale ?? Options.MultiScale ? _crowd : _detector).Detect(image, scoreThreshold ?? Options.ScoreThreshold);

    /// <summary>
    /// The face a photo of one person is of: the largest, most central among the confident ones
    /// (<see cref="PrimaryFace"/>). When none is found, one more search with the pyramid at
    /// <see cref="PipelineOptions.RetryScoreThreshold"/> (if set), then one on the photo in a black border
    /// (<see cref="PipelineOptions.PaddedRetryBorder"/>, for faces that fill the frame).
    /// </summary>
    public Face? FindPrimary(RgbImage image)
    {
        var (faces, primary) = DetectPhotoOfOne(image);
        return primary < 0 ? null : faces[primary];
    }

    /// <summary>
    /// Every face of a photo that shows one person (an enrollment photo, a probe), found as <see cref="FindPrimary"/>
    /// searches, and the index of the one the photo is of (−1 when there is none).
    /// </summary>
    public (IReadOnlyList<Face> Faces, int Primary) DetectPhotoOfOne(RgbImage image)
    {
        var faces = Options.PaddedPrimaryPass && _padded is not null ? DetectWithBorder(image) : Detect(image);
        if (faces.Count == 0 && Options.RetryScoreThreshold is { } retry)
        {
            // The pyramid, whatever the crowd mode: this retry's settings were chosen with it (celeba-dev, cfp-dev).
            faces = Describe(image, _pyramid, retry);
            if (faces.Count == 0 && _padded is not null)
                faces = Describe(image, _padded, retry);
        }
        return (faces, faces.Count == 0 ? -1 : PrimaryFace.IndexOf(faces, image.Width, image.Height, Options.PrimaryScoreMargin));
    }

    /// <summary>The plain pass and the pass on the bordered photo, merged by NMS: a face that fills the frame competes too.</summary>
    private IReadOnlyList<Face> DetectWithBorder(RgbImage image)
    {
        IReadOnlyList<DetectedFace> detections;
        using (var span = PipelineTelemetry.Source.StartActivity("detect"))
        {
            float threshold = Options.ScoreThreshold ?? DetectorSpec.ScoreThreshold;
            detections = NonMaximumSuppression.Apply(_detector.Detect(image, threshold).Concat(_padded!.Detect(image, threshold)), DetectorSpec.NmsIouThreshold);
            span?.SetTag("facemesh.image.pixels", (long)image.Width * image.Height);
            span?.SetTag("facemesh.faces", detections.Count);
        }
        return DescribeAll(image, detections);
    }

    private Face Describe(RgbImage image, DetectedFace detection)
    {
        System.Numerics.Vector2[]? dense = null;
        System.Numerics.Vector2[]? five = null;
        if (_landmarks is not null)
        {
            dense = _landmarks.Locate(image, detection.Box, Options.LandmarkPasses);
            five = FiveLandmarks.From68(dense);
        }
        if (_mesh is not null && UseMesh(five))
        {
            var mesh = _mesh.Locate(image, detection.Box, Options.LandmarkPasses);
            if (mesh.Confidence >= _mesh.Spec.MinConfidence || five is null)
            {
                dense = mesh.Points;
                five = FaceMeshModel.FivePoints(mesh.Points);
            }
        }
        if (five is null && detection.Keypoints is { Length: >= 4 } keypoints)
            five = FiveLandmarks.FromBlazeFace(keypoints);
        if (five is null)
            throw new ModelFileException($"Pack '{Pack.Manifest.Name}' has neither a landmark model nor a detector with keypoints.");
        var crops = _aligners.Select(a => a.Align(image, five, dense is { Length: 68 } ? dense : null)).ToArray();
        var quality = FaceQualityAssessor.Assess(detection.Score, five, crops[0]);
        return new Face(detection.Box, detection.Score, five, dense, crops, quality);
    }

    /// <summary>
    /// Whether the face mesh places this face's points: always without a 68-point model, else when the 68 points
    /// say the face is turned further than the pack's (or the options') yaw limit; the 68-point model is trained on
    /// near-frontal faces and puts a profile's hidden eye on the hair or the ear.
    /// </summary>
    private bool UseMesh(System.Numerics.Vector2[]? five68)
    {
        if (five68 is null)
            return true;
        float limit = Options.MeshAboveYaw ?? _mesh!.Spec.UseAboveYaw;
        return limit <= 0 || Math.Abs(FaceQualityAssessor.EstimateYaw(five68)) > limit;
    }

    public void Dispose()
    {
        _detector.Dispose();
        _second?.Dispose();
        _landmarks?.Dispose();
        _mesh?.Dispose();
    }
}
