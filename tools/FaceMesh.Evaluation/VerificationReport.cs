using System.Text.Json.Serialization;

namespace FaceMesh.Evaluation;

/// <summary>The result of the LFW View-2 protocol, as <c>facemesh eval verify --json</c> writes it (fractions, not percent).</summary>
public sealed record VerificationReport
{
    [JsonPropertyName("accuracy_mean")] public required double AccuracyMean { get; init; }
    [JsonPropertyName("accuracy_std")] public required double AccuracyStd { get; init; }
    [JsonPropertyName("fold_accuracies")] public required double[] FoldAccuracies { get; init; }
    [JsonPropertyName("fold_thresholds")] public required double[] FoldThresholds { get; init; }
    [JsonPropertyName("tar_at_far")] public required SortedDictionary<string, double> TarAtFar { get; init; }
    [JsonPropertyName("eer")] public required double Eer { get; init; }
    [JsonPropertyName("pairs")] public required int Pairs { get; init; }
    [JsonPropertyName("failed_images")] public required int FailedImages { get; init; }
    [JsonPropertyName("failed_image_paths")] public IReadOnlyList<string> FailedImagePaths { get; init; } = [];
    [JsonPropertyName("model_id")] public string? ModelId { get; init; }
}
