using FaceMesh.Imaging;
using FaceMesh.ModelPacks;

namespace FaceMesh.Pipeline.Runtime;

/// <summary>Writes pixels into model input tensors: <c>(value − mean) / std</c> in the model's channel order.</summary>
public static class ModelInput
{
    /// <summary>Planar (C, H, W) at <paramref name="target"/>, optionally mirrored left to right.</summary>
    public static void WritePlanar(RgbImage image, Normalization n, Span<float> target, bool mirror = false)
    {
        int plane = image.Width * image.Height;
        if (target.Length < plane * 3)
            throw new ArgumentException("The target is smaller than the image.", nameof(target));
        var (r, g, b) = n.ChannelOrder == ChannelOrder.Rgb ? (0, 1, 2) : (2, 1, 0);
        float scale = 1f / n.Std, offset = -n.Mean / n.Std;
        var px = image.Pixels;
        int w = image.Width;
        for (int y = 0; y < image.Height; y++)
        {
            int row = y * w;
            for (int x = 0; x < w; x++)
            {
                int i = (row + (mirror ? w - 1 - x : x)) * 3;
                int o = row + x;
                target[r * plane + o] = px[i] * scale + offset;
                target[g * plane + o] = px[i + 1] * scale + offset;
                target[b * plane + o] = px[i + 2] * scale + offset;
            }
        }
    }

    /// <summary>Interleaved (H, W, C).</summary>
    public static void WriteInterleaved(RgbImage image, Normalization n, Span<float> target)
    {
        var (r, g, b) = n.ChannelOrder == ChannelOrder.Rgb ? (0, 1, 2) : (2, 1, 0);
        float scale = 1f / n.Std, offset = -n.Mean / n.Std;
        var px = image.Pixels;
        for (int i = 0; i < px.Length; i += 3)
        {
            target[i + r] = px[i] * scale + offset;
            target[i + g] = px[i + 1] * scale + offset;
            target[i + b] = px[i + 2] * scale + offset;
        }
    }

    /// <summary>One grey plane, ITU-R BT.601 luma (OpenCV's RGB→GRAY weights).</summary>
    public static void WriteGrey(RgbImage image, Normalization n, Span<float> target)
    {
        var px = image.Pixels;
        float scale = 1f / n.Std, offset = -n.Mean / n.Std;
        for (int i = 0, o = 0; i < px.Length; i += 3, o++)
            target[o] = (0.299f * px[i] + 0.587f * px[i + 1] + 0.114f * px[i + 2]) * scale + offset;
    }
}
