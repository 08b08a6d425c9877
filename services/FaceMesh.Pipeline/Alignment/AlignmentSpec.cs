using System.Globalization;
using System.Numerics;
using FaceMesh.ModelPacks;

namespace FaceMesh.Pipeline.Alignment;

/// <summary>
/// How an embedding model wants its face cropped: a square of <see cref="Size"/> pixels, either with the five
/// points on <see cref="Reference"/> (ArcFace style) or as dlib's face chip with <see cref="DlibChipPadding"/>.
/// Models of one pack that want the same crop share it (<see cref="Key"/>).
/// </summary>
public sealed record AlignmentSpec(int Size, IReadOnlyList<Vector2>? Reference, float? DlibChipPadding)
{
    public static AlignmentSpec Of(EmbedderSpec spec) => new(
        spec.InputSize,
        spec.AlignmentReference?.Select(p => new Vector2(p[0], p[1])).ToArray(),
        spec.DlibChipPadding);

    /// <summary>The five points' places on the crop (for dlib's chip, from its mean face).</summary>
    public IReadOnlyList<Vector2> FivePointReference =>
        Reference ?? DlibFaceChip.FivePointTemplate(Size, DlibChipPadding!.Value);

    /// <summary>Equal for equal crops.</summary>
    public string Key => Reference is { } r
        ? $"{Size}:" + string.Join(";", r.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.X:R},{p.Y:R}")))
        : string.Create(CultureInfo.InvariantCulture, $"{Size}:dlib-chip:{DlibChipPadding:R}");

    public override string ToString() => Reference is null
        ? $"dlib chip {Size}x{Size}, padding {DlibChipPadding}"
        : $"{Size}x{Size} on five reference points";

    /// <summary>The distinct crops a pack's embedders need, and for each embedder the index of its crop.</summary>
    public static (IReadOnlyList<AlignmentSpec> Crops, int[] CropOfModel) Of(ModelPackManifest manifest)
    {
        var crops = new List<AlignmentSpec>();
        var index = new List<int>();
        foreach (var spec in manifest.EmbeddingModels.Select(Of))
        {
            int at = crops.FindIndex(c => c.Key == spec.Key);
            if (at < 0)
            {
                crops.Add(spec);
                at = crops.Count - 1;
            }
            index.Add(at);
        }
        return (crops, index.ToArray());
    }
}
