using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline.Detection;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Pipeline.Liveness;

/// <summary>
/// Passive (one-image) liveness: the face's box in the photo, squared and widened by the pack's context margin,
/// resized to the model's input, scored. The score is the probability that a live face is in front of the camera
/// (a two-class softmax's live column, or a one-output sigmoid); the face is live at or above the pack's threshold.
/// A crop that leaves the photo is filled with the photo's edge pixels (so that a face at the border is not framed
/// in black, which a model would learn as a cue).
/// </summary>
public sealed class LivenessModel : IDisposable
{
    private readonly OnnxModel _model;

    public LivenessModel(ModelPack pack, InferenceOptions? options = null, Action<string>? log = null)
    {
        Spec = pack.Manifest.Liveness
            ?? throw new ModelFileException(
                $"The pack '{pack.Manifest.Name}' has no liveness model (no 'liveness' section in its manifest).");
        _model = new OnnxModel(pack.PathOf(Spec.File), options ?? InferenceOptions.Default, log);
    }

    public LivenessSpec Spec { get; }

    /// <summary>The crop's context margin: the pack's, or another one to measure what the background contributes.</summary>
    public float ContextMargin { get; init; } = float.NaN;

    private float Margin => float.IsNaN(ContextMargin) ? Spec.ContextMargin : ContextMargin;
    public string ModelId => Spec.ModelId;
    public float Threshold => Spec.Threshold;

    /// <summary>The crop the model takes: the box squared about its centre, each side (1 + margin) × the longer one.</summary>
    public RgbImage Crop(RgbImage photo, FaceBox box) => Crop(photo, box, Margin, Spec.InputSize);

    /// <summary>
    /// The box squared about its centre, each side (1 + <paramref name="margin"/>) × the longer one, edge pixels where it
    /// leaves the photo, resized to <paramref name="size"/>: what a liveness model takes, and what its trainer is given.
    /// </summary>
    public static RgbImage Crop(RgbImage photo, FaceBox box, float margin, int size)
    {
        float side = Math.Max(box.Width, box.Height) * (1 + margin);
        int x0 = (int)MathF.Round(box.CenterX - side / 2), y0 = (int)MathF.Round(box.CenterY - side / 2), n = Math.Max(1,
            (int)MathF.Round(side));
        var square = new RgbImage(n, n);
        for (int y = 0; y < n; y++)
        {
            int sy = Math.Clamp(y0 + y, 0, photo.Height - 1);
            for (int x = 0; x < n; x++)
            {
                int sx = Math.Clamp(x0 + x, 0, photo.Width - 1);
                int s = (sy * photo.Width + sx) * 3, t = (y * n + x) * 3;
                square.Pixels[t] = photo.Pixels[s];
                square.Pixels[t + 1] = photo.Pixels[s + 1];
                square.Pixels[t + 2] = photo.Pixels[s + 2];
            }
        }
        return Resampler.Resize(square, size, size);
    }

    /// <summary>The live probability of each face.</summary>
    public float[] Score(RgbImage photo, IReadOnlyList<FaceBox> boxes)
    {
        var scores = new float[boxes.Count];
        int size = Spec.InputSize, plane = 3 * size * size;
        for (int i = 0; i < boxes.Count; i++)
        {
            var input = new float[plane];
            ModelInput.Write(Crop(photo, boxes[i]), Spec.Normalization, input);
            long[] shape = Spec.Normalization.Interleaved ? [1, size, size, 3] : [1, 3, size, size];
            var output = _model.Run(input, shape).Values.First();
            scores[i] = output.Length switch
            {
                1 => output[0],
                2 => output[Spec.LiveIndex],
                _ => throw new ModelFileException(
                    $"The liveness model '{Spec.ModelId}' returned {output.Length} values; 1 (sigmoid) or 2 (softmax) are read."),
            };
        }
        return scores;
    }

    /// <summary>
    /// A copy of the photo with everything outside the face's box (widened by <paramref name="pad"/> of its size on each
    /// side) set to mid-grey: the shortcut check, for a model that might judge the background (the capture session)
    /// instead of the face.
    /// </summary>
    public static RgbImage GreyOutside(RgbImage photo, FaceBox box, float pad = 0.1f)
    {
        var copy = new RgbImage(photo.Width, photo.Height, (byte[])photo.Pixels.Clone());
        float px = box.Width * pad, py = box.Height * pad;
        for (int y = 0; y < photo.Height; y++)
            for (int x = 0; x < photo.Width; x++)
                if (x < box.Left - px || x > box.Right + px || y < box.Top - py || y > box.Bottom + py)
                {
                    int i = (y * photo.Width + x) * 3;
                    copy.Pixels[i] = copy.Pixels[i + 1] = copy.Pixels[i + 2] = 128;
                }
        return copy;
    }

    public void Dispose() => _model.Dispose();
}
