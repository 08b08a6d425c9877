using FaceMesh.Imaging;
using SkiaSharp;

namespace FaceMesh.Benchmarks;

/// <summary>
/// Decoding a phone-sized photo: a 4000×3000 JPEG (quality 92, as phones write them) made of sixteen real wider-dev crowd
/// photos at their own resolution (1000×750 centre crops, no upscaling, so the JPEG carries real detail), decoded in
/// full and as the Detector decodes it (<see cref="ImageLimits.MaxDecodePixels"/>, 8 MP by default: 3/4 scale). Reports
/// time and the most memory the decode holds at once (<see cref="PendingDecode.PeakBytes"/>: the RGB image and the
/// codec's strip or frame).
/// </summary>
public sealed class DecodeBenchmark(string widerImages, int runs)
{
    public sealed record Row(string Decode, string Output, double MedianMs, double P90Ms, double PeakMegabytes);

    public IReadOnlyList<Row> Run()
    {
        var jpeg = PhoneSizedJpeg();
        Console.WriteLine($"12 MP JPEG: 4000x3000, {jpeg.Length / 1e6:F1} MB");
        var rows = new List<Row>();
        foreach (var (name, limits) in new[]
                 {
                     ("full resolution", new ImageLimits()),
                     ("Detector default (MaxDecodePixels 8 MP)", new ImageLimits { MaxDecodePixels = 8_000_000 }),
                 })
        {
            var timing = StageTimer.Measure(name, "4000×3000 JPEG", () => ImageDecoder.Decode(jpeg, limits), runs);
            using var pending = ImageDecoder.Open(jpeg, limits);
            rows.Add(new Row(name, $"{pending.Width}×{pending.Height}", timing.MedianMs, timing.P90Ms, pending.PeakBytes / 1048576.0));
        }
        return rows;
    }

    private byte[] PhoneSizedJpeg()
    {
        var photos = Directory.EnumerateFiles(widerImages, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(p => ImageDecoder.Decode(File.ReadAllBytes(p))).Where(i => i.Width >= 1000 && i.Height >= 750).Take(16).ToList();
        if (photos.Count < 16)
            throw new InvalidOperationException($"{widerImages} holds fewer than 16 photos of at least 1000×750 pixels.");
        var canvas = new RgbImage(4000, 3000);
        for (int k = 0; k < 16; k++)
        {
            var photo = photos[k];
            int ox = (photo.Width - 1000) / 2, oy = (photo.Height - 750) / 2, cx = k % 4 * 1000, cy = k / 4 * 750;
            for (int y = 0; y < 750; y++)
                photo.Pixels.AsSpan(((oy + y) * photo.Width + ox) * 3, 3000).CopyTo(canvas.Pixels.AsSpan(((cy + y) * 4000 + cx) * 3, 3000));
        }
        return ImageEncoder.Encode(canvas, SKEncodedImageFormat.Jpeg, 92);
    }
}
