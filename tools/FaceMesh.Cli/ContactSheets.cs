using FaceMesh.Imaging;
using FaceMesh.Matching.Clustering;
using FaceMesh.Pipeline.Detection;
using SkiaSharp;

namespace FaceMesh.Cli;

/// <summary>
/// One PNG per group of faces (largest first), so a person sees the mistakes: each face cut from its photo with a
/// margin, framed green when its true person is the group's most common one and red when not, named beneath;
/// the faces left in groups of one on a last sheet.
/// </summary>
public static class ContactSheets
{
    private const int Thumb = 96, Caption = 16, Columns = 10, MaxFacesPerSheet = 100, Header = 28;

    public static void Write(string directory, IReadOnlyList<(string Path, FaceBox Box, string Truth)> faces, IReadOnlyList<int> groups)
    {
        Directory.CreateDirectory(directory);
        var byGroup = Enumerable.Range(0, faces.Count).Where(i => groups[i] != FaceClustering.Unassigned)
            .GroupBy(i => groups[i]).Select(g => g.ToArray()).ToList();
        var alone = byGroup.Where(g => g.Length == 1).SelectMany(g => g)
            .Concat(Enumerable.Range(0, faces.Count).Where(i => groups[i] == FaceClustering.Unassigned)).ToArray();
        var sheets = byGroup.Where(g => g.Length > 1).OrderByDescending(g => g.Length).ThenBy(g => g[0]).ToArray();
        int number = 0;
        foreach (var members in sheets)
        {
            var majority = members.GroupBy(i => faces[i].Truth).OrderByDescending(g => g.Count())
                .ThenBy(g => g.Key, StringComparer.Ordinal).First();
            string title = $"group {++number}: {members.Length} faces, {majority.Count()} of {majority.Key}";
            Draw(Path.Combine(directory, $"group-{number:D4}-{members.Length}.png"), title, members, faces, majority.Key);
        }
        if (alone.Length > 0)
            Draw(Path.Combine(directory, "alone.png"), $"{alone.Length} faces in no group or alone", alone, faces, null);
        Console.Error.WriteLine($"{number} contact sheets{(alone.Length > 0 ? " and alone.png" : "")} written in {directory}");
    }

    private static void Draw(string path, string title, int[] members, IReadOnlyList<(string Path, FaceBox Box, string Truth)> faces,
                             string? majority)
    {
        var shown = members.Take(MaxFacesPerSheet).ToArray();
        int columns = Math.Min(Columns, shown.Length), rows = (shown.Length + columns - 1) / columns;
        using var sheet = new SKBitmap(Math.Max(columns * Thumb, 480), Header + rows * (Thumb + Caption));
        using var canvas = new SKCanvas(sheet);
        canvas.Clear(SKColors.Black);
        using var font = new SKFont(FaceDrawing.LabelTypeface.Value, 12);
        using var headerFont = new SKFont(FaceDrawing.LabelTypeface.Value, 16);
        using var white = new SKPaint { Color = SKColors.White, IsAntialias = true };
        string more = shown.Length < members.Length ? $" (first {shown.Length} shown)" : "";
        canvas.DrawText(title + more, 4, 20, SKTextAlign.Left, headerFont, white);
        for (int k = 0; k < shown.Length; k++)
        {
            var (photo, box, truth) = faces[shown[k]];
            int x = k % columns * Thumb, y = Header + k / columns * (Thumb + Caption);
            using (var thumb = Thumbnail(photo, box))
            using (var image = SKImage.FromBitmap(thumb))
                canvas.DrawImage(image, new SKRect(x + 2, y + 2, x + Thumb - 2, y + Thumb - 2), new SKSamplingOptions(SKFilterMode.Linear));
            var colour = majority is null ? SKColors.Gray : truth == majority ? SKColors.LimeGreen : SKColors.Red;
            using var frame = new SKPaint { Color = colour, Style = SKPaintStyle.Stroke, StrokeWidth = 3 };
            canvas.DrawRect(x + 1.5f, y + 1.5f, Thumb - 3, Thumb - 3, frame);
            string name = truth.Length > 14 ? truth[..13] + "…" : truth;
            using var text = new SKPaint { Color = colour, IsAntialias = true };
            canvas.DrawText(name, x + 2, y + Thumb + 12, SKTextAlign.Left, font, text);
        }
        File.WriteAllBytes(path, ImageEncoder.Encode(sheet));
    }

    /// <summary>The face with a fifth of its size around it, square, from the photo.</summary>
    private static SKBitmap Thumbnail(string photo, FaceBox box)
    {
        var image = ImageDecoder.Decode(File.ReadAllBytes(photo));
        float side = Math.Max(box.Width, box.Height) * 1.4f;
        int x = (int)Math.Clamp(box.CenterX - side / 2, 0, image.Width - 1);
        int y = (int)Math.Clamp(box.CenterY - side / 2, 0, image.Height - 1);
        int w = Math.Max(1, Math.Min((int)side, image.Width - x)), h = Math.Max(1, Math.Min((int)side, image.Height - y));
        return ImageEncoder.ToBitmap(Resampler.Resize(Resampler.Crop(image, x, y, w, h), Thumb, Thumb));
    }
}
