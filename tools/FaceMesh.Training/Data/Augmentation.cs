using FaceMesh.Imaging;

namespace FaceMesh.Training.Data;

/// <summary>
/// Augmentations of an aligned 112×112 crop, drawn from a seeded <see cref="Random"/> (so a run is repeatable):
/// horizontal flip, a small random resized crop (the face stays aligned), colour jitter (brightness,
/// contrast, saturation), greyscale, exposure (gamma), a 3×3 blur and JPEG re-compression.
/// </summary>
public static class Augmentation
{
    public static RgbImage Apply(RgbImage crop, AugmentationConfig config, Random random)
    {
        if (!config.Enabled)
            return crop;
        var image = crop;
        if (random.NextDouble() < config.Flip)
            image = Flip(image);
        if (config.CropScale < 1)
            image = ResizedCrop(image, config.CropScale + random.NextDouble() * (1 - config.CropScale), random);
        if (config.ColourJitter > 0)
            image = Jitter(image, 1 + Uniform(random, config.ColourJitter), 1 + Uniform(random, config.ColourJitter), 1 + Uniform(random, config.ColourJitter));
        if (random.NextDouble() < config.Greyscale)
            image = Jitter(image, 1, 1, 0);
        if (config.Exposure > 0)
            image = Gamma(image, Math.Pow(1 + config.Exposure, Uniform(random, 1)));
        if (random.NextDouble() < config.Blur)
            image = Blur(image);
        if (random.NextDouble() < config.Jpeg)
            image = JpegRoundTrip(image, random.Next(config.JpegQuality[0], config.JpegQuality[^1] + 1));
        return image;
    }

    private static double Uniform(Random random, double amount) => (random.NextDouble() * 2 - 1) * amount;

    public static RgbImage Flip(RgbImage image)
    {
        var output = new byte[image.Pixels.Length];
        int w = image.Width;
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    output[(y * w + x) * 3 + c] = image.Pixels[(y * w + (w - 1 - x)) * 3 + c];
        return new RgbImage(w, image.Height, output);
    }

    private static RgbImage ResizedCrop(RgbImage image, double area, Random random)
    {
        int side = Math.Max(8, (int)Math.Round(image.Width * Math.Sqrt(area)));
        int x0 = random.Next(0, image.Width - side + 1), y0 = random.Next(0, image.Height - side + 1);
        var cut = new byte[side * side * 3];
        for (int y = 0; y < side; y++)
            Array.Copy(image.Pixels, ((y0 + y) * image.Width + x0) * 3, cut, y * side * 3, side * 3);
        return Resampler.Resize(new RgbImage(side, side, cut), image.Width, image.Height);
    }

    /// <summary>Brightness (×), contrast (around the mean grey) and saturation (around each pixel's grey).</summary>
    private static RgbImage Jitter(RgbImage image, double brightness, double contrast, double saturation)
    {
        var p = image.Pixels;
        double mean = 0;
        for (int i = 0; i < p.Length; i += 3)
            mean += 0.299 * p[i] + 0.587 * p[i + 1] + 0.114 * p[i + 2];
        mean = mean / (p.Length / 3) * brightness;
        var output = new byte[p.Length];
        for (int i = 0; i < p.Length; i += 3)
        {
            double r = p[i] * brightness, g = p[i + 1] * brightness, b = p[i + 2] * brightness;
            double grey = 0.299 * r + 0.587 * g + 0.114 * b;
            r = grey + (r - grey) * saturation;
            g = grey + (g - grey) * saturation;
            b = grey + (b - grey) * saturation;
            output[i] = Clamp(mean + (r - mean) * contrast);
            output[i + 1] = Clamp(mean + (g - mean) * contrast);
            output[i + 2] = Clamp(mean + (b - mean) * contrast);
        }
        return new RgbImage(image.Width, image.Height, output);
    }

    private static RgbImage Blur(RgbImage image)
    {
        int w = image.Width, h = image.Height;
        var p = image.Pixels;
        var output = new byte[p.Length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                {
                    int sum = 0, n = 0;
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++)
                        {
                            int yy = y + dy, xx = x + dx;
                            if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                                continue;
                            sum += p[(yy * w + xx) * 3 + c];
                            n++;
                        }
                    output[(y * w + x) * 3 + c] = (byte)(sum / n);
                }
        return new RgbImage(w, h, output);
    }

    /// <summary>Each channel value v becomes 255 · (v / 255)^gamma.</summary>
    public static RgbImage Gamma(RgbImage image, double gamma)
    {
        var table = new byte[256];
        for (int v = 0; v < 256; v++)
            table[v] = Clamp(255 * Math.Pow(v / 255.0, gamma));
        var output = new byte[image.Pixels.Length];
        for (int i = 0; i < output.Length; i++)
            output[i] = table[image.Pixels[i]];
        return new RgbImage(image.Width, image.Height, output);
    }

    /// <summary>The crop encoded as a JPEG of the given quality and decoded again.</summary>
    public static RgbImage JpegRoundTrip(RgbImage image, int quality) =>
        ImageDecoder.Decode(ImageEncoder.Encode(image, SkiaSharp.SKEncodedImageFormat.Jpeg, quality));

    private static byte Clamp(double v) => (byte)Math.Clamp((int)Math.Round(v), 0, 255);
}
