using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Pipeline.Detection;

/// <summary>
/// The Ultra-Light-Fast-Generic-Face-Detector (RFB-320). The image is resized to the model input
/// (320×240, aspect not kept, as the model was trained); the model's <c>boxes</c> output is already
/// decoded against its priors into normalised corners, so a box maps back to the image by scaling
/// with the image size.
/// </summary>
public sealed class UltraLightDetector : IFaceDetector
{
    private readonly OnnxModel _model;
    private readonly DetectorSpec _spec;

    public UltraLightDetector(string modelPath, DetectorSpec spec, InferenceOptions options, Action<string>? log = null)
    {
        _spec = spec;
        _model = new OnnxModel(modelPath, options, log);
    }

    public (int Width, int Height) InputSize => (_spec.InputWidth, _spec.InputHeight);

    public IReadOnlyList<DetectedFace> Detect(RgbImage image, float? scoreThreshold = null)
    {
        int w = _spec.InputWidth, h = _spec.InputHeight;
        var resized = Resampler.Resize(image, w, h);
        var input = new float[3 * w * h];
        ModelInput.WritePlanar(resized, _spec.Normalization, input);
        var outputs = _model.Run(input, [1, 3, h, w]);
        var scores = outputs["scores"];
        var boxes = outputs["boxes"];

        float threshold = scoreThreshold ?? _spec.ScoreThreshold;
        var candidates = new List<DetectedFace>();
        for (int i = 0, n = scores.Length / 2; i < n; i++)
        {
            float score = scores[2 * i + 1];
            if (score <= threshold)
                continue;
            var box = new FaceBox(boxes[4 * i] * image.Width, boxes[4 * i + 1] * image.Height,
                                  boxes[4 * i + 2] * image.Width, boxes[4 * i + 3] * image.Height);
            candidates.Add(new DetectedFace(box, score));
        }
        return NonMaximumSuppression.Apply(candidates, _spec.NmsIouThreshold, _spec.TopK);
    }

    public void Dispose() => _model.Dispose();
}
