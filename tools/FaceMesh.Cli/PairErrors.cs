using FaceMesh.Evaluation;
using FaceMesh.Imaging;
using FaceMesh.Pipeline;
using FaceMesh.Pipeline.Embedding;
using SkiaSharp;

namespace FaceMesh.Cli;

/// <summary>
/// Pictures of the pairs a model gets wrong, to see why: each PNG shows both photos with every face
/// found (the chosen one in green) and the aligned crops the embedder saw, named by score.
/// </summary>
public static class PairErrors
{
    public static void Draw(FacePipeline pipeline, IReadOnlyList<LabelledPair> pairs, PhotoEmbeddings embeddings,
                            double threshold, string directory, int limit = 60)
    {
        Directory.CreateDirectory(directory);
        var wrong = pairs
            .Select(p => (Pair: p, Score: embeddings[p.First] is { } a && embeddings[p.Second] is { } b ? CosineSimilarity.Of(a, b) : float.NaN))
            .Where(x => float.IsNaN(x.Score) || (x.Score >= threshold) != x.Pair.Same)
            .OrderByDescending(x => float.IsNaN(x.Score) ? double.MaxValue : Math.Abs(x.Score - threshold))
            .Take(limit).ToArray();
        foreach (var (pair, score) in wrong)
        {
            var panels = new[] { pair.First, pair.Second }.Select(path => Panel(pipeline, path)).ToArray();
            int width = panels.Sum(p => p.Width) + 10, height = panels.Max(p => p.Height);
            using var sheet = new SKBitmap(width, height);
            using (var canvas = new SKCanvas(sheet))
            {
                canvas.Clear(SKColors.Black);
                int x = 0;
                foreach (var panel in panels)
                {
                    Blit(canvas, panel, new SKRect(x, 0, x + panel.Width, panel.Height));
                    x += panel.Width + 10;
                    panel.Dispose();
                }
            }
            var name = $"{(pair.Same ? "false-reject" : "false-accept")}_{score:F3}_{Path.GetFileNameWithoutExtension(pair.First)}_{Path.GetFileNameWithoutExtension(pair.Second)}.png";
            File.WriteAllBytes(Path.Combine(directory, name), ImageEncoder.Encode(sheet));
        }
        Console.Error.WriteLine($"{wrong.Length} wrongly answered pairs drawn in {directory}");
    }

    /// <summary>The photo (at most 400 px high) with its faces drawn, and the primary face's crop beneath.</summary>
    private static SKBitmap Panel(FacePipeline pipeline, string path)
    {
        var image = ImageDecoder.Decode(File.ReadAllBytes(path));
        var faces = pipeline.Detect(image);
        var primary = pipeline.FindPrimary(image);
        using var photo = FaceDrawing.Draw(image, FaceDrawing.Marks(faces, primary is null ? -1 : faces.ToList().FindIndex(f => f.Box == primary.Box)));
        float scale = Math.Min(1, 400f / photo.Height);
        int w = Math.Max((int)(photo.Width * scale), 112), h = (int)(photo.Height * scale);
        var panel = new SKBitmap(w, h + 112);
        using var canvas = new SKCanvas(panel);
        canvas.Clear(SKColors.Black);
        Blit(canvas, photo, new SKRect(0, 0, photo.Width * scale, h));
        if (primary is not null)
        {
            using var crop = ImageEncoder.ToBitmap(primary.AlignedCrop);
            Blit(canvas, crop, new SKRect(0, h, 112, h + 112));
        }
        return panel;
    }

    private static void Blit(SKCanvas canvas, SKBitmap bitmap, SKRect target)
    {
        using var image = SKImage.FromBitmap(bitmap);
        canvas.DrawImage(image, target, new SKSamplingOptions(SKFilterMode.Linear));
    }
}
