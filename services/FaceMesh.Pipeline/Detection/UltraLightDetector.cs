using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Pipeline.Detection;

/// <summary>
/// The Ultra-Light-Fast-Generic-Face-Detector (RFB-320). A single pass resizes the image to the model input (320×240,
/// aspect not kept, as the model was trained) and runs the published graph, whose <c>boxes</c> are decoded inside.
/// With the pack's any-size graph (<see cref="DetectorSpec.AnySizeFile"/>) the model also runs at any other input size
/// (<see cref="DetectAt"/>): that graph returns raw regressions, decoded here against priors generated for the size
/// (<see cref="UltraLightPriors"/>).
/// </summary>
public sealed class UltraLightDetector : IAnySizeDetector
{
    private readonly OnnxModel _model;
    private readonly OnnxModel? _anySizeModel;
    private readonly DetectorSpec _spec;

    public UltraLightDetector(ModelPack pack, DetectorSpec spec, InferenceOptions options, Action<string>? log = null)
    {
        _spec = spec;
        _model = new OnnxModel(pack.PathOf(spec.File), options, log);
        _anySizeModel = spec.AnySizeFile is null ? null : new OnnxModel(pack.PathOf(spec.AnySizeFile), options, log);
    }

    public (int Width, int Height) InputSize => (_spec.InputWidth, _spec.InputHeight);

    public bool AnySize => _anySizeModel is not null;

    /// <summary>
    /// Every size through the any-size graph, with the shipped graph's prior centres (<see cref="UltraLightPriors.For"/>):
    /// at 320×240 it then reproduces the published graph, which checks the cut and the decoding (the tests do).
    /// </summary>
    public bool ShippedPriors { get; init; }

    public IReadOnlyList<DetectedFace> Detect(RgbImage image, float? scoreThreshold = null) =>
        DetectAt(image, _spec.InputWidth, _spec.InputHeight, scoreThreshold, _spec.TopK);

    public IReadOnlyList<DetectedFace> DetectAt(RgbImage image, int inputWidth, int inputHeight, float? scoreThreshold = null, int? topK = null)
    {
        bool native = (inputWidth, inputHeight) == (_spec.InputWidth, _spec.InputHeight) && !ShippedPriors;
        if (_anySizeModel is null && !native)
            throw new InvalidOperationException($"This pack's detector runs only at {_spec.InputWidth}×{_spec.InputHeight}: it has no any-size graph (detector.anySizeFile).");
        int w = inputWidth, h = inputHeight;
        var resized = image.Width == w && image.Height == h ? image : Resampler.Resize(image, w, h);
        var input = new float[3 * w * h];
        ModelInput.WritePlanar(resized, _spec.Normalization, input);
        var outputs = (native ? _model : _anySizeModel!).Run(input, [1, 3, h, w]);
        var scores = outputs["scores"];
        float threshold = scoreThreshold ?? _spec.ScoreThreshold;
        var candidates = new List<DetectedFace>();
        if (!native)
        {
            var regression = outputs[ModelPacks.Onnx.AnySizeDetector.RegressionOutput];
            // Made per run, not cached: the crowd mode's sizes are the photos' own, one per photo size (a cache would grow
            // with every size seen), and making them costs well under the model run at that size.
            var priors = UltraLightPriors.For(w, h, ShippedPriors);
            if (priors.Length != regression.Length)
                throw new InvalidOperationException($"The detector returned {regression.Length / 4} boxes at {w}×{h}, the priors are {priors.Length / 4}.");
            for (int i = 0, n = scores.Length / 2; i < n; i++)
            {
                float score = scores[2 * i + 1];
                if (score <= threshold)
                    continue;
                float pw = priors[4 * i + 2], ph = priors[4 * i + 3];
                float cx = regression[4 * i] * UltraLightPriors.CenterVariance * pw + priors[4 * i];
                float cy = regression[4 * i + 1] * UltraLightPriors.CenterVariance * ph + priors[4 * i + 1];
                float bw = MathF.Exp(regression[4 * i + 2] * UltraLightPriors.SizeVariance) * pw;
                float bh = MathF.Exp(regression[4 * i + 3] * UltraLightPriors.SizeVariance) * ph;
                candidates.Add(new DetectedFace(new FaceBox((cx - bw / 2) * image.Width, (cy - bh / 2) * image.Height,
                                                            (cx + bw / 2) * image.Width, (cy + bh / 2) * image.Height), score));
            }
        }
        else
        {
            var boxes = outputs["boxes"];
            for (int i = 0, n = scores.Length / 2; i < n; i++)
            {
                float score = scores[2 * i + 1];
                if (score <= threshold)
                    continue;
                candidates.Add(new DetectedFace(new FaceBox(boxes[4 * i] * image.Width, boxes[4 * i + 1] * image.Height,
                                                            boxes[4 * i + 2] * image.Width, boxes[4 * i + 3] * image.Height), score));
            }
        }
        return NonMaximumSuppression.Apply(candidates, _spec.NmsIouThreshold, topK ?? _spec.TopK);
    }

    public void Dispose()
    {
        _model.Dispose();
        _anySizeModel?.Dispose();
    }
}
