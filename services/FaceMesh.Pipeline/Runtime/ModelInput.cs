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
        float scale = 1f / n.Std;
        float offR = -n.MeanOf(0) / n.Std, offG = -n.MeanOf(1) / n.Std, offB = -n.MeanOf(2) / n.Std;
        var px = image.Pixels;
        int w = image.Width;
        for (int y = 0; y < image.Height; y++)
        {
            int row = y * w;
            for (int x = 0; x < w; x++)
            {
                int i = (row + (mirror ? w - 1 - x : x)) * 3;
                int o = row + x;
                target[r * plane + o] = px[i] * scale + offR;
                target[g * plane + o] = px[i + 1] * scale + offG;
                target[b * plane + o] = px[i + 2] * scale + offB;
            }
        }
    }

    /// <summary>Interleaved (H, W, C), optionally mirrored left to right.</summary>
    public static void WriteInterleaved(RgbImage image, Normalization n, Span<float> target, bool mirror = false)
    {
        if (target.Length < image.Pixels.Length)
            throw new ArgumentException("The target is smaller than the image.", nameof(target));
        var (r, g, b) = n.ChannelOrder == ChannelOrder.Rgb ? (0, 1, 2) : (2, 1, 0);
        float scale = 1f / n.Std;
        float offR = -n.MeanOf(0) / n.Std, offG = -n.MeanOf(1) / n.Std, offB = -n.MeanOf(2) / n.Std;
        var px = image.Pixels;
        int w = image.Width;
        for (int y = 0; y < image.Height; y++)
        {
            int row = y * w;
            for (int x = 0; x < w; x++)
            {
                int i = (row + (mirror ? w - 1 - x : x)) * 3;
                int o = (row + x) * 3;
                target[o + r] = px[i] * scale + offR;
                target[o + g] = px[i + 1] * scale + offG;
                target[o + b] = px[i + 2] * scale + offB;
            }
        }
    }

    /// <summary>In the layout the normalisation names: interleaved for NHWC, planar otherwise.</summary>
    public static void Write(RgbImage image, Normalization n, Span<float> target, bool mirror = false)
    {
        if (n.Interleaved)
            WriteInterleaved(image, n, target, mirror);
        else
            WritePlanar(image, n, target, mirror);
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
