using System.Numerics;
using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline.Detection;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Pipeline.Alignment;

/// <summary>
/// A 68-point landmark regressor on a grey square crop: the crop's side is the box height, centred on
/// the box; the model outputs 136 values, (x, y) pairs as fractions of the crop. With anti-aliasing a
/// large face is block-averaged before it is shrunk to the model input.
/// </summary>
public sealed class LandmarkModel(string modelPath, LandmarkSpec spec, InferenceOptions options, Action<string>? log = null, bool antiAlias = true) : IDisposable
{
    private readonly OnnxModel _model = new(modelPath, options, log);

    /// <summary>
    /// The 68 points of the face in <paramref name="box"/>. With <paramref name="passes"/> &gt; 1 the crop is
    /// centred again on the points found (the centre of their bounding box) and the model run again:
    /// the regressor is most accurate when the face sits where its training crops put it, and a
    /// detector box is often off-centre on turned or tilted faces.
    /// </summary>
    public Vector2[] Locate(RgbImage image, FaceBox box, int passes = 1)
    {
        var points = LocateOnce(image, box.CenterX, box.CenterY, box.Height);
        for (int pass = 1; pass < passes; pass++)
        {
            float minX = points.Min(p => p.X), maxX = points.Max(p => p.X);
            float minY = points.Min(p => p.Y), maxY = points.Max(p => p.Y);
            points = LocateOnce(image, (minX + maxX) / 2, (minY + maxY) / 2, box.Height);
        }
        return points;
    }

    private Vector2[] LocateOnce(RgbImage image, float centreX, float centreY, float side)
    {
        int size = spec.InputSize;
        float left = centreX - side / 2, top = centreY - side / 2;
        float scale = size / side;
        var toCrop = Affine2D.ScaleTranslate(scale, scale, -left * scale, -top * scale);
        var crop = antiAlias ? Resampler.WarpAntiAliased(image, toCrop, size, size) : Resampler.Warp(image, toCrop, size, size);
        var input = new float[size * size];
        ModelInput.WriteGrey(crop, spec.Normalization, input);
        var output = _model.Run(input, [1, 1, size, size]).Values.First();
        if (output.Length != spec.Points * 2)
            throw new ModelFileException($"The landmark model returned {output.Length} values; the pack declares {spec.Points} points.");
        if (output.Any(v => !float.IsFinite(v)))
            throw new LandmarkModelException($"The landmark model ({Path.GetFileName(modelPath)}) returned a non-finite value for the face at ({centreX:F0}, {centreY:F0}); the model file is damaged or is not a 68-point landmark model.");
        var points = new Vector2[spec.Points];
        for (int i = 0; i < points.Length; i++)
            points[i] = new Vector2(left + output[2 * i] * side, top + output[2 * i + 1] * side);
        return points;
    }

    public void Dispose() => _model.Dispose();
}
