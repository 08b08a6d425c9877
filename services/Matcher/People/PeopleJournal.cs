using System.Text.Json;
using System.Text.Json.Serialization;
using FaceMesh.Matching;
using FaceMesh.Matching.Storage;

namespace FaceMesh.Matcher.People;

/// <summary>
/// What the vector store does not hold of a gallery's people, kept on disk: each added face's photo id, box and
/// quality, and the corrections (pins, "not this person", names). One file of JSON lines per gallery,
/// <c>{directory}/{hash of tenant and gallery}.jsonl</c>, appended and flushed at every change. After a deletion the
/// file is written again from what is left (a new file renamed over the old), so a deleted person's photo ids and
/// boxes leave the disk with its vectors. The vectors and which person each face is in are the store's (its
/// people space, <see cref="PeopleBook.SpaceOf"/>). Without a directory nothing is kept across a restart.
/// </summary>
public sealed class PeopleJournal(string directory)
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>One line: <see cref="Kind"/> is face, pin, unpin, apart, name, unname, gone or thresholds.</summary>
    public sealed class Record
    {
        [JsonPropertyName("k")] public string Kind { get; set; } = "";
        [JsonPropertyName("f")] public string? Face { get; set; }
        [JsonPropertyName("o")] public string? Other { get; set; }
        [JsonPropertyName("p")] public string? Photo { get; set; }
        [JsonPropertyName("b")] public float[]? Box { get; set; }
        [JsonPropertyName("q")] public float? Quality { get; set; }
        [JsonPropertyName("n")] public string? Person { get; set; }
        [JsonPropertyName("s")] public string? Subject { get; set; }
        [JsonPropertyName("e")] public float? Edge { get; set; }
        [JsonPropertyName("l")] public float? Linkage { get; set; }
    }

    /// <summary>The journal read back: face id → what was recorded of it, and the corrections.</summary>
    public sealed class State
    {
        public Dictionary<string, PeopleFaceInfo> Faces { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string> Pins { get; } = new(StringComparer.Ordinal);
        public HashSet<(string A, string B)> Apart { get; } = [];
        public Dictionary<string, string> Names { get; } = new(StringComparer.Ordinal);
        public (float Edge, float Linkage)? Thresholds { get; set; }
    }

    public bool Durable => directory.Length > 0;

    private string PathOf(GalleryKey gallery)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{gallery.Tenant}\n{gallery.Gallery}"));
        return Path.Combine(directory, Convert.ToHexStringLower(hash)[..32] + ".jsonl");
    }

    public State Read(GalleryKey gallery)
    {
        var state = new State();
        if (!Durable || !File.Exists(PathOf(gallery)))
            return state;
        foreach (var text in File.ReadLines(PathOf(gallery)))
        {
            if (text.Length == 0)
                continue;
            Record? r;
            try
            {
                r = JsonSerializer.Deserialize<Record>(text, Json);
            }
            catch (JsonException)
            {
                break; // a line cut short by a crash while it was written: the change it began was not acknowledged
            }
            if (r is not null)
                Replay(state, r);
        }
        return state;
    }

    private static void Replay(State state, Record r)
    {
        switch (r.Kind)
        {
            case "face" when r.Face is not null:
                state.Faces[r.Face] = new PeopleFaceInfo(r.Face, r.Photo ?? "", r.Box ?? new float[4], r.Quality ?? 0);
                break;
            case "pin" when r.Face is not null && r.Person is not null:
                state.Pins[r.Face] = r.Person;
                break;
            case "unpin" when r.Face is not null:
                state.Pins.Remove(r.Face);
                break;
            case "apart" when r.Face is not null && r.Other is not null:
                state.Apart.Add(string.CompareOrdinal(r.Face, r.Other) < 0 ? (r.Face, r.Other) : (r.Other, r.Face));
                break;
            case "name" when r.Person is not null && r.Subject is not null:
                state.Names[r.Person] = r.Subject;
                break;
            case "unname" when r.Person is not null:
                state.Names.Remove(r.Person);
                break;
            case "gone" when r.Face is not null:
                state.Faces.Remove(r.Face);
                state.Pins.Remove(r.Face);
                state.Apart.RemoveWhere(p => p.A == r.Face || p.B == r.Face);
                break;
            case "thresholds" when r.Edge is { } edge && r.Linkage is { } linkage:
                state.Thresholds = (edge, linkage);
                break;
        }
    }

    /// <summary>Appends the change's records and flushes them to the disk.</summary>
    public void Append(GalleryKey gallery, IReadOnlyList<Record> records)
    {
        if (!Durable || records.Count == 0)
            return;
        Directory.CreateDirectory(directory);
        string path = PathOf(gallery);
        bool created = !File.Exists(path);
        Write(path, FileMode.Append, records);
        if (created)
            DirectorySync.Flush(directory);
    }

    /// <summary>Writes the journal again with only what <paramref name="people"/> holds now (after a deletion).</summary>
    public void Rewrite(GalleryKey gallery, GalleryPeople people)
    {
        if (!Durable)
            return;
        Directory.CreateDirectory(directory);
        string path = PathOf(gallery), next = path + ".next";
        Write(next, FileMode.Create, Records(people));
        File.Move(next, path, overwrite: true);
        DirectorySync.Flush(directory);
    }

    private static void Write(string path, FileMode mode, IEnumerable<Record> records)
    {
        using var file = new FileStream(path, mode, FileAccess.Write, FileShare.Read);
        var writer = new StreamWriter(file);
        foreach (var record in records)
            writer.Write(JsonSerializer.Serialize(record, Json) + "\n");
        writer.Flush();
        file.Flush(flushToDisk: true);
    }

    private static IEnumerable<Record> Records(GalleryPeople people)
    {
        yield return new Record { Kind = "thresholds", Edge = people.Options.EdgeThreshold, Linkage = people.Options.LinkageThreshold };
        foreach (var f in people.Faces)
            yield return new Record { Kind = "face", Face = f.FaceId, Photo = f.PhotoId, Box = f.Box, Quality = f.Quality };
        foreach (var (face, person) in people.Pins)
            yield return new Record { Kind = "pin", Face = face, Person = person };
        foreach (var (a, b) in people.Apart)
            yield return new Record { Kind = "apart", Face = a, Other = b };
        foreach (var (person, subject) in people.Names)
            yield return new Record { Kind = "name", Person = person, Subject = subject };
    }
}
