using System.Numerics;
using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Pipeline.Detection;

/// <summary>
/// MediaPipe BlazeFace, short-range (front) model: 128×128 NHWC input in [−1, 1], 896 anchors
/// (a 16×16 grid with 2 anchors per cell, then 8×8 with 6), each regressing a box and six keypoints
/// (two eyes, nose tip, mouth centre, two ear tragions) in input pixels relative to the anchor centre.
/// Scores are logits. See Bazarevsky et al., "BlazeFace: Sub-millisecond Neural Face Detection", 2019.
/// The image is letterboxed into the square input so faces keep their shape.
/// </summary>
public sealed class BlazeFaceDetector : IFaceDetector
{
    private static readonly (int Cells, int Anchors)[] Layers = [(16, 2), (8, 6)];
    private readonly OnnxModel _model;
    private readonly DetectorSpec _spec;
    private readonly string[] _scoreOutputs;
    private readonly string[] _boxOutputs;

    public BlazeFaceDetector(string modelPath, DetectorSpec spec, InferenceOptions options, Action<string>? log = null)
    {
        _spec = spec;
        _model = new OnnxModel(modelPath, options, log);
        // Outputs: per layer a score tensor (…×1) and a regressor tensor (…×16); told apart by size.
        var names = _model.OutputNames.Order(StringComparer.Ordinal).ToArray();
        if (names.Length != 4)
            throw new ModelFileException($"'{modelPath}' is not a BlazeFace model: expected 4 outputs, found {names.Length}.");
        _scoreOutputs = [names[0], names[1]];
        _boxOutputs = [names[2], names[3]];
    }

    public (int Width, int Height) InputSize => (_spec.InputWidth, _spec.InputHeight);

    public IReadOnlyList<DetectedFace> Detect(RgbImage image, float? scoreThreshold = null)
    {
        int size = _spec.InputWidth;
        // Letterbox: scale the longer side to the input, centre, pad with black.
        float scale = size / (float)Math.Max(image.Width, image.Height);
        float padX = (size - image.Width * scale) / 2, padY = (size - image.Height * scale) / 2;
        var square = Resampler.Warp(image, Affine2D.ScaleTranslate(scale, scale, padX, padY), size, size);
        var input = new float[size * size * 3];
        ModelInput.WriteInterleaved(square, _spec.Normalization, input);
        var outputs = _model.Run(input, [1, size, size, 3]);

        float threshold = scoreThreshold ?? _spec.ScoreThreshold;
        var candidates = new List<DetectedFace>();
        for (int layer = 0; layer < Layers.Length; layer++)
        {
            var (cells, anchors) = Layers[layer];
            var scores = outputs[_scoreOutputs[layer]];
            var regressors = outputs[_boxOutputs[layer]];
            if (scores.Length == cells * cells * anchors * 16)
                (scores, regressors) = (regressors, scores);
            for (int cell = 0, k = 0; cell < cells * cells; cell++)
            for (int a = 0; a < anchors; a++, k++)
            {
                float score = 1f / (1f + MathF.Exp(-scores[k]));
                if (score <= threshold)
                    continue;
                float ax = (cell % cells + 0.5f) / cells * size, ay = (cell / cells + 0.5f) / cells * size;
                var r = regressors.AsSpan(k * 16, 16);
                Vector2 ToImage(float x, float y) => new((ax + x - padX) / scale, (ay + y - padY) / scale);
                var centre = ToImage(r[0], r[1]);
                float bw = r[2] / scale, bh = r[3] / scale;
                var keypoints = new Vector2[6];
                for (int p = 0; p < 6; p++)
                    keypoints[p] = ToImage(r[4 + 2 * p], r[5 + 2 * p]);
                candidates.Add(new DetectedFace(
                    new FaceBox(centre.X - bw / 2, centre.Y - bh / 2, centre.X + bw / 2, centre.Y + bh / 2), score, keypoints));
            }
        }
        return NonMaximumSuppression.Apply(candidates, _spec.NmsIouThreshold, _spec.TopK);
    }

    public void Dispose() => _model.Dispose();
}
