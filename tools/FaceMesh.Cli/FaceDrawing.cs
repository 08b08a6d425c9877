using System.Numerics;
using FaceMesh.Imaging;
using FaceMesh.Pipeline;
using SkiaSharp;

namespace FaceMesh.Cli;

/// <summary>A box to draw on a photo, with its label, colour and (optionally) landmark points.</summary>
public sealed record FaceMark(float Left, float Top, float Width, float Height, string Label, SKColor Colour, IReadOnlyList<Vector2>? Points = null, IReadOnlyList<Vector2>? Dense = null);

/// <summary>Draws faces on the photo: boxes, landmarks and labels; as a bitmap or a PNG file.</summary>
public static class FaceDrawing
{
    /// <summary>The typeface of labels on pictures (a system TTF; Skia's self-contained build has no default).</summary>
    internal static readonly Lazy<SKTypeface> LabelTypeface = new(() =>
        SystemFonts.SansFile is { } file ? SKTypeface.FromFile(file) ?? SKTypeface.Default : SKTypeface.Default);

    /// <summary>The detections of the pipeline: score and quality as labels, the primary face in green.</summary>
    public static IEnumerable<FaceMark> Marks(IReadOnlyList<Face> faces, int primary) =>
        faces.Select((f, i) => new FaceMark(f.Box.Left, f.Box.Top, f.Box.Width, f.Box.Height,
            $"#{i} {f.Score:F2} q{f.Quality.Overall:F2}", i == primary ? SKColors.Lime : SKColors.Yellow, f.Landmarks, f.DenseLandmarks));

    /// <summary>Above this many faces (a crowd) the labels are left out: they would cover the faces.</summary>
    private const int MaxLabelledFaces = 30;

    public static SKBitmap Draw(RgbImage image, IEnumerable<FaceMark> marks)
    {
        var all = marks.ToArray();
        var bitmap = ImageEncoder.ToBitmap(image);
        using var canvas = new SKCanvas(bitmap);
        float photoStroke = Math.Max(2, Math.Max(image.Width, image.Height) / 300f);
        using var font = new SKFont(LabelTypeface.Value, Math.Max(14, photoStroke * 7));
        using var dot = new SKPaint { Color = SKColors.Red, Style = SKPaintStyle.Fill, IsAntialias = true };
        using var fine = new SKPaint { Color = SKColors.Cyan.WithAlpha(180), Style = SKPaintStyle.Fill, IsAntialias = true };
        foreach (var mark in all)
        {
            // A small face gets thin lines and small dots, so the face stays visible under them.
            float stroke = Math.Clamp(Math.Min(mark.Width, mark.Height) / 16f, 1, photoStroke);
            using var box = new SKPaint { Color = mark.Colour, Style = SKPaintStyle.Stroke, StrokeWidth = stroke, IsAntialias = true };
            canvas.DrawRect(mark.Left, mark.Top, mark.Width, mark.Height, box);
            foreach (var p in mark.Dense ?? [])
                canvas.DrawCircle(p.X, p.Y, stroke * 0.45f, fine);
            foreach (var p in mark.Points ?? [])
                canvas.DrawCircle(p.X, p.Y, stroke * 1.2f, dot);
            if (all.Length > MaxLabelledFaces)
                continue;
            using var text = new SKPaint { Color = mark.Colour, IsAntialias = true };
            canvas.DrawText(mark.Label, mark.Left, Math.Max(font.Size, mark.Top - stroke * 2), SKTextAlign.Left, font, text);
        }
        if (all.Length > MaxLabelledFaces)
        {
            // One caption instead of a label per face.
            string caption = $"{all.Length} faces";
            using var background = new SKPaint { Color = SKColors.Black.WithAlpha(170), Style = SKPaintStyle.Fill };
            canvas.DrawRect(0, 0, font.MeasureText(caption) + 2 * photoStroke, font.Size * 1.35f, background);
            using var text = new SKPaint { Color = SKColors.White, IsAntialias = true };
            canvas.DrawText(caption, photoStroke, font.Size, SKTextAlign.Left, font, text);
        }
        return bitmap;
    }

    public static void Save(RgbImage image, IEnumerable<FaceMark> marks, string path)
    {
        using var bitmap = Draw(image, marks);
        File.WriteAllBytes(path, ImageEncoder.Encode(bitmap));
    }
}
