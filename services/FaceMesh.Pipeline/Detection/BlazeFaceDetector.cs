using System.Numerics;
using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Pipeline.Detection;

/// <summary>
/// MediaPipe BlazeFace: a square NHWC input in [−1, 1] and a grid of anchors (<see cref="DetectorSpec.Anchors"/>), each
/// regressing a box and six keypoints (two eyes, nose tip, mouth centre, two ear tragions) in input pixels relative to
/// the anchor's centre, with a logit score. Two models of the family are read:
/// <list type="bullet">
/// <item>short range (front camera, 128×128): 896 anchors, stride 8 with 2 per cell and stride 16 with 6; four outputs,
/// a score and a regressor tensor per layer;</item>
/// <item>full range (192×192, faces to about 5 m): 2304 anchors, stride 4 with 1 per cell; one output per anchor of
/// 17 values, the score then the 16 regressors (the graph's face head; its person head is not used).</item>
/// </list>
/// A single pass letterboxes the image into the square input so faces keep their shape. A model imported for any input
/// size (<see cref="DetectorSpec.AnySize"/>) also runs at the photo's own resolution (<see cref="DetectAt"/>), with
/// the anchor grid laid over that size. See Bazarevsky et al., "BlazeFace: Sub-millisecond Neural Face Detection", 2019.
/// </summary>
public sealed class BlazeFaceDetector : IAnySizeDetector
{
    private static readonly AnchorLayer[] ShortRange = [new(8, 2), new(16, 6)];
    /// <summary>The largest stride of the network: an any-size input is kept a multiple of it.</summary>
    private const int NetworkStride = 32;
    private const int Regressors = 16;

    private readonly OnnxModel _model;
    private readonly DetectorSpec _spec;
    private readonly IReadOnlyList<AnchorLayer> _layers;
    private readonly string[] _outputs;

    public BlazeFaceDetector(string modelPath, DetectorSpec spec, InferenceOptions options, Action<string>? log = null)
    {
        _spec = spec;
        _layers = spec.Anchors ?? ShortRange;
        _model = new OnnxModel(modelPath, options, log);
        // Either one output of score + regressors per anchor, or a score tensor and a regressor tensor per layer
        // (told apart by size when the model runs).
        _outputs = _model.OutputNames.Order(StringComparer.Ordinal).ToArray();
        if (_outputs.Length != 1 && _outputs.Length != 2 * _layers.Count)
            throw new ModelFileException($"'{modelPath}' is not a BlazeFace model with {_layers.Count} anchor layer(s): expected 1 or {2 * _layers.Count} outputs, found {_outputs.Length}.");
    }

    public (int Width, int Height) InputSize => (_spec.InputWidth, _spec.InputHeight);

    public bool AnySize => _spec.AnySize;

    public IReadOnlyList<DetectedFace> Detect(RgbImage image, float? scoreThreshold = null)
    {
        int size = _spec.InputWidth;
        // Letterbox: scale the longer side to the input, centre, pad with black.
        float scale = size / (float)Math.Max(image.Width, image.Height);
        float padX = (size - image.Width * scale) / 2, padY = (size - image.Height * scale) / 2;
        var square = Resampler.Warp(image, Affine2D.ScaleTranslate(scale, scale, padX, padY), size, size);
        return Run(square, scale, scale, padX, padY, scoreThreshold, _spec.TopK);
    }

    /// <summary>The image resized to about <paramref name="inputWidth"/>×<paramref name="inputHeight"/>, each rounded to a multiple of
    /// 32.</summary>
    public IReadOnlyList<DetectedFace> DetectAt(RgbImage image, int inputWidth, int inputHeight, float? scoreThreshold = null, int? topK = null)
    {
        if (!AnySize && (inputWidth, inputHeight) != InputSize)
            throw new InvalidOperationException($"This pack's BlazeFace model runs only at {_spec.InputWidth}×{_spec.InputHeight}: it was not imported for any input size (detector.anySize).");
        int w = Math.Max(NetworkStride, (inputWidth + NetworkStride / 2) / NetworkStride * NetworkStride);
        int h = Math.Max(NetworkStride, (inputHeight + NetworkStride / 2) / NetworkStride * NetworkStride);
        var resized = image.Width == w && image.Height == h ? image : Resampler.Resize(image, w, h);
        return Run(resized, w / (float)image.Width, h / (float)image.Height, 0, 0, scoreThreshold, topK ?? _spec.TopK);
    }

    /// <summary>Runs the model on <paramref name="input"/>; an input pixel (x, y) is image pixel ((x − padX) / sx, (y − padY) /
    /// sy).</summary>
    private List<DetectedFace> Run(RgbImage input, float sx, float sy, float padX, float padY, float? scoreThreshold, int topK)
    {
        int w = input.Width, h = input.Height;
        var tensor = new float[w * h * 3];
        ModelInput.WriteInterleaved(input, _spec.Normalization, tensor);
        var outputs = _model.Run(tensor, [1, h, w, 3]);
        float threshold = scoreThreshold ?? _spec.ScoreThreshold;
        // A logit above this is a score above the threshold: the sigmoid only for those.
        float logitThreshold = threshold <= 0 ? float.NegativeInfinity : threshold >= 1 ? float.PositiveInfinity : MathF.Log(threshold / (1 - threshold));
        var candidates = new List<DetectedFace>();
        if (_outputs.Length == 1)
        {
            int anchors = _layers.Sum(l => (w + l.Stride - 1) / l.Stride * ((h + l.Stride - 1) / l.Stride) * l.PerCell);
            int returned = outputs[_outputs[0]].Length / (Regressors + 1);
            if (returned != anchors)
                throw new InvalidOperationException($"The BlazeFace model returned {returned} anchors at {w}×{h}; its anchor layers make {anchors}.");
        }
        int anchor = 0;
        for (int layer = 0; layer < _layers.Count; layer++)
        {
            var (stride, perCell) = (_layers[layer].Stride, _layers[layer].PerCell);
            int columns = (w + stride - 1) / stride, rows = (h + stride - 1) / stride;
            int count = columns * rows * perCell;
            var o = LayerOutputs(outputs, layer, anchor, count);
            for (int cell = 0, k = 0; cell < columns * rows; cell++)
                for (int a = 0; a < perCell; a++, k++)
                {
                    float logit = o.Scores[o.ScoreBase + k * o.ScoreStride];
                    if (!(logit > logitThreshold))
                        continue;
                    float ax = (cell % columns + 0.5f) * stride, ay = (cell / columns + 0.5f) * stride;
                    var r = o.Regressors.AsSpan(o.RegressorBase + k * o.RegressorStride, Regressors);
                    Vector2 ToImage(float x, float y) => new((ax + x - padX) / sx, (ay + y - padY) / sy);
                    var centre = ToImage(r[0], r[1]);
                    float bw = r[2] / sx, bh = r[3] / sy;
                    var keypoints = new Vector2[6];
                    for (int p = 0; p < 6; p++)
                        keypoints[p] = ToImage(r[4 + 2 * p], r[5 + 2 * p]);
                    candidates.Add(new DetectedFace(
                        new FaceBox(centre.X - bw / 2, centre.Y - bh / 2, centre.X + bw / 2, centre.Y + bh / 2), 1f / (1f + MathF.Exp(-logit)), keypoints));
                }
            anchor += count;
        }
        return NonMaximumSuppression.Apply(candidates, _spec.NmsIouThreshold, topK);
    }

    /// <summary>One layer's scores and regressors: anchor k's score at ScoreBase + k·ScoreStride, its 16 regressors from RegressorBase +
    /// k·RegressorStride.</summary>
    private readonly record struct LayerOutput(float[] Scores, int ScoreBase, int ScoreStride, float[] Regressors, int RegressorBase, int RegressorStride);

    /// <summary>With one combined output, anchor i's score is at i·17 and its regressors follow; with an output pair per layer, at i and
    /// i·16.</summary>
    private LayerOutput LayerOutputs(IReadOnlyDictionary<string, float[]> outputs, int layer, int firstAnchor, int count)
    {
        if (_outputs.Length == 1)
        {
            var all = outputs[_outputs[0]];
            return new(all, firstAnchor * (Regressors + 1), Regressors + 1, all, firstAnchor * (Regressors + 1) + 1, Regressors + 1);
        }
        var (scores, regressors) = (outputs[_outputs[layer]], outputs[_outputs[_layers.Count + layer]]);
        if (scores.Length == count * Regressors)
            (scores, regressors) = (regressors, scores);
        if (scores.Length != count || regressors.Length != count * Regressors)
            throw new InvalidOperationException($"The BlazeFace model's layer {layer} returned {scores.Length} scores; its anchors are {count}.");
        return new(scores, 0, 1, regressors, 0, Regressors);
    }

    public void Dispose() => _model.Dispose();
}
