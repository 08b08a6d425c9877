using FaceMesh.Imaging;
using FaceMesh.Pipeline;
using SkiaSharp;

namespace FaceMesh.Cli;

/// <summary>Draws faces on the photo: box, five landmarks, score and quality; written as PNG.</summary>
public static class FaceDrawing
{
    /// <summary>The typeface of labels on pictures (a system TTF; Skia's self-contained build has no default).</summary>
    public static readonly Lazy<SKTypeface> LabelTypeface = new(() =>
        SystemFonts.SansFile is { } file ? SKTypeface.FromFile(file) ?? SKTypeface.Default : SKTypeface.Default);

    public static void Save(RgbImage image, IReadOnlyList<Face> faces, string path, int primary = -1)
    {
        using var bitmap = ImageEncoder.ToBitmap(image);
        using var canvas = new SKCanvas(bitmap);
        float stroke = Math.Max(2, Math.Max(image.Width, image.Height) / 300f);
        using var font = new SKFont(LabelTypeface.Value, Math.Max(12, stroke * 6));
        for (int i = 0; i < faces.Count; i++)
        {
            var face = faces[i];
            var colour = i == primary ? SKColors.Lime : SKColors.Yellow;
            using var box = new SKPaint { Color = colour, Style = SKPaintStyle.Stroke, StrokeWidth = stroke, IsAntialias = true };
            canvas.DrawRect(face.Box.Left, face.Box.Top, face.Box.Width, face.Box.Height, box);
            using var dot = new SKPaint { Color = SKColors.Red, Style = SKPaintStyle.Fill, IsAntialias = true };
            foreach (var p in face.Landmarks)
                canvas.DrawCircle(p.X, p.Y, stroke * 1.2f, dot);
            using var text = new SKPaint { Color = colour, IsAntialias = true };
            canvas.DrawText($"#{i} {face.Score:F2} q{face.Quality.Overall:F2}", face.Box.Left, Math.Max(font.Size, face.Box.Top - stroke * 2),
                            SKTextAlign.Left, font, text);
        }
        File.WriteAllBytes(path, ImageEncoder.Encode(bitmap));
    }
}
