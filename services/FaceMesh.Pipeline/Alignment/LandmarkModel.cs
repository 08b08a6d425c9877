using System.Numerics;
using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline.Detection;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Pipeline.Alignment;

/// <summary>
/// A 68-point landmark regressor on a grey square crop: the crop's side is the box height, centred on
/// the box; the model outputs 136 values, (x, y) pairs as fractions of the crop.
/// </summary>
public sealed class LandmarkModel(string modelPath, LandmarkSpec spec, InferenceOptions options, Action<string>? log = null) : IDisposable
{
    private readonly OnnxModel _model = new(modelPath, options, log);

    public Vector2[] Locate(RgbImage image, FaceBox box)
    {
        int size = spec.InputSize;
        float side = box.Height;
        float left = box.CenterX - side / 2, top = box.CenterY - side / 2;
        float scale = size / side;
        var crop = Resampler.Warp(image, Affine2D.ScaleTranslate(scale, scale, -left * scale, -top * scale), size, size);
        var input = new float[size * size];
        ModelInput.WriteGrey(crop, spec.Normalization, input);
        var output = _model.Run(input, [1, 1, size, size]).Values.First();
        if (output.Length != spec.Points * 2)
            throw new ModelFileException($"The landmark model returned {output.Length} values; the pack declares {spec.Points} points.");
        var points = new Vector2[spec.Points];
        for (int i = 0; i < points.Length; i++)
            points[i] = new Vector2(left + output[2 * i] * side, top + output[2 * i + 1] * side);
        return points;
    }

    public void Dispose() => _model.Dispose();
}
