using System.Text.Json;

namespace FaceMesh.Pipeline.Liveness;

/// <summary>
/// A folder of liveness training crops (<c>facemesh liveness-crops</c>): <c>live/</c> and <c>attack/</c>, each crop named
/// <c>SUBJECT_FRAME.png</c>, and <c>crops.json</c> with how they were cut, which the liveness pack trained on them takes
/// over (its crop must be the one the model learned).
/// </summary>
public sealed record LivenessCrops(float Margin, int Size, string DetectorPack, string Real, string Spoof)
{
    public const string Live = "live", Attack = "attack", FileName = "crops.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public void WriteTo(string directory) =>
        File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, Json) + "\n");

    public static LivenessCrops ReadFrom(string directory)
    {
        var path = Path.Combine(directory, FileName);
        return File.Exists(path)
            ? JsonSerializer.Deserialize<LivenessCrops>(File.ReadAllText(path), Json)!
            : throw new FileNotFoundException($"'{path}' is missing: make the crops with facemesh liveness-crops, which records their margin.");
    }
}
