using System.Collections.Concurrent;
using FaceMesh.Contracts.V1;
using FaceMesh.Hosting;
using FaceMesh.Matching;
using FaceMesh.Matching.Clustering;
using FaceMesh.Messaging;
using EnrolledFace = FaceMesh.Matching.EnrolledFace;
using Microsoft.Extensions.Options;

namespace FaceMesh.Matcher.People;

/// <summary>
/// Every gallery's people on this Matcher, and the one way to change them (<see cref="ApplyAsync"/>, for the gRPC
/// <c>ChangePeople</c> and the <c>PeopleChanged</c> consumer alike). A change is applied under the gallery's lock in
/// this order: checked (nothing moves when it is refused), applied in memory (<see cref="GalleryPeople"/>),
/// recorded in the journal, then written to the store: each face's vector under its person id in the gallery's
/// people space (<see cref="SpaceOf"/>), and a named person's faces under its subject id in the gallery itself, where
/// Verify and Identify find them. If the store fails, the gallery's people are read again from the store and the
/// journal at the next change, so a retried change starts from what is stored. A gallery's people are loaded at
/// their first use after a start.
/// </summary>
public sealed class PeopleBook(IVectorStore store, IOptions<MatcherOptions> options, ILogger<PeopleBook> log)
{
    /// <summary>Begins the name of a gallery's people space; a control character, so no gallery name can take it.</summary>
    public const string SpacePrefix = "\u0001people\u0001";

    /// <summary>The people-space subject of faces that wait (below the quality gate, no person near enough yet).</summary>
    public const string WaitingSubject = "\u0001waiting";

    private const int RememberedChanges = 10_000, StoreBatch = 1_000, MaxListed = 1_000;

    private sealed class Entry
    {
        public readonly SemaphoreSlim Lock = new(1, 1);
        public GalleryPeople? People;
        public readonly Dictionary<string, PeopleChangeResponse> Applied = new(StringComparer.Ordinal);
        public readonly Queue<string> AppliedOrder = new();
        public TaskCompletionSource Changed = NewSignal();
    }

    private readonly ConcurrentDictionary<GalleryKey, Entry> _galleries = new();
    private readonly PeopleOptions _options = options.Value.People;
    private readonly PeopleJournal _journal = new(options.Value.People.DataDirectory is { Length: > 0 } dir ? dir
        : options.Value.Embedded.DataDirectory is { Length: > 0 } data ? Path.Combine(data, "people") : "");

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static GalleryKey SpaceOf(GalleryKey gallery) => new(gallery.Tenant, SpacePrefix + gallery.Gallery);

    public static bool IsPeopleSpace(string gallery) => gallery.StartsWith(SpacePrefix, StringComparison.Ordinal);

    private ClusteringOptions Defaults => new() { K = _options.Neighbours, MinQuality = _options.MinQuality };

    /// <summary>Refuses a change that cannot be applied now (as <see cref="ApplyAsync"/> would), changing nothing.</summary>
    public async Task CheckAsync(PeopleChange change, CancellationToken cancellation)
    {
        var key = Key(change);
        var entry = _galleries.GetOrAdd(key, _ => new Entry());
        await entry.Lock.WaitAsync(cancellation);
        try
        {
            await CheckLocked(key, entry, change, cancellation);
        }
        finally
        {
            entry.Lock.Release();
        }
    }

    /// <summary>
    /// Applies the change once: a change id applied before answers what it answered then. A refused change throws
    /// (<see cref="PersonNotFoundException"/>, <see cref="PeopleConflictException"/>, <see cref="ArgumentException"/>,
    /// <see cref="ModelMismatchException"/>) and its refusal is remembered for <see cref="AwaitAsync"/>.
    /// </summary>
    public async Task<PeopleChangeResponse> ApplyAsync(PeopleChange change, CancellationToken cancellation)
    {
        var key = Key(change);
        var entry = _galleries.GetOrAdd(key, _ => new Entry());
        await entry.Lock.WaitAsync(cancellation);
        try
        {
            if (change.ChangeId.Length > 0 && entry.Applied.TryGetValue(change.ChangeId, out var known))
                return known; // a refusal answers with its error code again
            PeopleChangeResponse result;
            try
            {
                await CheckLocked(key, entry, change, cancellation);
                result = await ApplyLocked(key, entry, change, cancellation);
                if (change.ChangeCase == PeopleChange.ChangeOneofCase.Add && entry.People!.AddedSinceRegroup >= RegroupDue(entry.People))
                {
                    log.LogInformation("Regrouping the people of {Gallery}: {Faces} faces, {Added} added since the last time",
                        LogText.Safe(key.ToString(), 300), entry.People.Count, entry.People.AddedSinceRegroup);
                    await ApplyLocked(key, entry, new PeopleChange { Gallery = change.Gallery, Regroup = new() }, cancellation);
                }
                if (change.ChangeCase == PeopleChange.ChangeOneofCase.Add)
                    foreach (var face in change.Add.Faces)
                        result.FacePersons[face.FaceId] = entry.People!.PersonOf(face.FaceId);
            }
            catch (Exception e) when (Refusal(e) is { } code)
            {
                Remember(entry, change.ChangeId, new PeopleChangeResponse { ErrorCode = code, Error = e.Message });
                MatcherMetrics.Shared.PeopleChanges.Add(1, new("type", Type(change)), new("outcome", "refused"));
                throw;
            }
            catch
            {
                entry.People = null; // read again from the store and the journal before the next change
                throw;
            }
            Remember(entry, change.ChangeId, result);
            MatcherMetrics.Shared.PeopleChanges.Add(1, new("type", Type(change)), new("outcome", "applied"));
            return result;
        }
        finally
        {
            entry.Lock.Release();
        }
    }

    private static string Type(PeopleChange change) => change.ChangeCase.ToString().ToLowerInvariant();

    private int RegroupDue(GalleryPeople people) =>
        Math.Max(_options.RegroupAfterFaces, (int)(_options.RegroupAfterFraction * people.Count));

    /// <summary>The gRPC status code of a refusal (a change that cannot be applied); null for any other error.</summary>
    public static int? Refusal(Exception e) => e switch
    {
        PersonNotFoundException or PeopleFaceNotFoundException or PhotoNotFoundException
            or GalleryNotFoundException => (int)Grpc.Core.StatusCode.NotFound,
        PeopleConflictException or ModelMismatchException => (int)Grpc.Core.StatusCode.FailedPrecondition,
        ArgumentException => (int)Grpc.Core.StatusCode.InvalidArgument,
        _ => null,
    };

    private static void Remember(Entry entry, string changeId, PeopleChangeResponse result)
    {
        if (changeId.Length == 0)
            return;
        if (entry.Applied.TryAdd(changeId, result))
            entry.AppliedOrder.Enqueue(changeId);
        while (entry.AppliedOrder.Count > RememberedChanges)
            entry.Applied.Remove(entry.AppliedOrder.Dequeue());
        Interlocked.Exchange(ref entry.Changed, NewSignal()).TrySetResult();
    }

    /// <summary>What applying the change answered, once it is applied here; null at the deadline.</summary>
    public async Task<PeopleChangeResponse?> AwaitAsync(GalleryKey key, string changeId, DateTime until, CancellationToken cancellation)
    {
        var entry = _galleries.GetOrAdd(key, _ => new Entry());
        while (true)
        {
            var next = Volatile.Read(ref entry.Changed).Task;
            await entry.Lock.WaitAsync(cancellation);
            try
            {
                if (entry.Applied.TryGetValue(changeId, out var result))
                    return result;
            }
            finally
            {
                entry.Lock.Release();
            }
            var remaining = MatcherGrpcService.Remaining(until, DateTime.UtcNow);
            if (remaining == TimeSpan.Zero)
                return null;
            await Task.WhenAny(next, Task.Delay(remaining, cancellation));
        }
    }

    private async Task CheckLocked(GalleryKey key, Entry entry, PeopleChange change, CancellationToken cancellation)
    {
        if (change.ChangeCase == PeopleChange.ChangeOneofCase.Add)
        {
            var model = change.Add.Faces.FirstOrDefault()?.Embedding?.ModelId;
            foreach (var face in change.Add.Faces)
            {
                EventChecks.Name(face.FaceId, "face id");
                EventChecks.Name(face.PhotoId, "photo id");
                EventChecks.Face($"Face {EventChecks.Safe(face.FaceId)}", face.Embedding?.ModelId, face.Embedding?.Values, face.Quality);
                if (face.Embedding!.ModelId != model)
                    throw new ArgumentException("Every face of one change must come from the same model.");
            }
            // The gallery itself holds a named person's faces: its model binds both.
            if (model is not null && (await store.CountAsync(key, cancellation))?.ModelId is { } bound && bound != model)
                throw new ModelMismatchException(key, bound, model);
        }
        var people = await Load(key, entry, cancellation);
        bool enrolled = false;
        if (change.ChangeCase == PeopleChange.ChangeOneofCase.Name)
        {
            EventChecks.Name(change.Name.SubjectId, "subject id");
            enrolled = people.PersonNamed(change.Name.SubjectId) is null && await store.CountAsync(key, cancellation) is not null
                && (await store.GetSubjectAsync(key, change.Name.SubjectId, cancellation)).Count > 0;
        }
        people.Check(change, _ => enrolled);
    }

    private async Task<PeopleChangeResponse> ApplyLocked(GalleryKey key, Entry entry, PeopleChange change, CancellationToken cancellation)
    {
        var people = await Load(key, entry, cancellation);
        var records = new List<PeopleJournal.Record>();
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        var diff = people.Apply(change, records);
        if (change.ChangeCase == PeopleChange.ChangeOneofCase.Regroup)
            MatcherMetrics.Shared.RegroupDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
        _journal.Append(key, records);
        if (diff.Removed.Count > 0)
            _journal.Rewrite(key, people);
        await Store(key, people, diff, cancellation);
        var result = new PeopleChangeResponse { PersonId = diff.PersonId ?? "", DeletedFaces = diff.Removed.Count };
        if (change.ChangeCase == PeopleChange.ChangeOneofCase.Regroup)
            result.Regrouped = new RegroupPeopleResponse
            {
                People = people.PeopleCount, Faces = people.Count,
                WaitingFaces = people.WaitingCount
            };
        return result;
    }

    /// <summary>The store follows the change: the people space, then the named people's subjects (removals before additions).</summary>
    private async Task Store(GalleryKey key, GalleryPeople people, PeopleDiff diff, CancellationToken cancellation)
    {
        var space = SpaceOf(key);
        string model = people.ModelId ?? "";
        EnrolledFace Stored(int face, string subject) =>
            new(people.Faces[face].FaceId, subject, people.Vector(face).ToArray(), model, people.Faces[face].Quality);
        var moved = diff.Moved.Where(m => m.Before?.Person != m.After.Person)
            .Select(m => Stored(m.Face, m.After.Person.Length == 0 ? WaitingSubject : m.After.Person)).ToArray();
        foreach (var batch in moved.Chunk(StoreBatch))
            await store.UpsertAsync(space, batch, cancellation);
        foreach (var person in diff.Removed.Select(r => r.Before.Person).Where(p => p.Length > 0).Distinct())
            await store.DeleteSubjectAsync(space, person, 0, cancellation);
        foreach (var subject in diff.Removed.Select(r => r.Before.Subject).OfType<string>().Distinct())
            await store.DeleteSubjectAsync(key, subject, 0, cancellation);
        // A face leaves a named person's subject through a subject of its own that is then deleted: the store's one
        // way to erase some of a subject's faces and keep the rest.
        var leaving = diff.Moved.Where(m => m.Before?.Subject is not null && m.Before.Value.Subject != m.After.Subject).ToArray();
        if (leaving.Length > 0)
        {
            string away = "\u0001leaving-" + Guid.NewGuid().ToString("N");
            foreach (var batch in leaving.Select(m => Stored(m.Face, away)).Chunk(StoreBatch))
                await store.UpsertAsync(key, batch, cancellation);
            await store.DeleteSubjectAsync(key, away, 0, cancellation);
        }
        foreach (var batch in diff.Moved.Where(m => m.After.Subject is not null && m.Before?.Subject != m.After.Subject)
                     .Select(m => Stored(m.Face, m.After.Subject!)).Chunk(StoreBatch))
            await store.UpsertAsync(key, batch, cancellation);
    }

    private async Task<GalleryPeople> Load(GalleryKey key, Entry entry, CancellationToken cancellation)
    {
        if (entry.People is { } loaded)
            return loaded;
        var people = new GalleryPeople(key, Defaults);
        var space = SpaceOf(key);
        if (await store.CountAsync(space, cancellation) is { Faces: > 0 } info)
        {
            var state = _journal.Read(key);
            var faces = new List<(PeopleFaceInfo, float[], string)>();
            string? after = null;
            while (true)
            {
                var page = await store.ListSubjectsAsync(space, after, StoreBatch, cancellation);
                foreach (var subject in page)
                    foreach (var face in await store.GetSubjectAsync(space, subject.SubjectId, cancellation))
                        faces.Add((state.Faces.GetValueOrDefault(face.FaceId) ?? new PeopleFaceInfo(face.FaceId, "", new float[4],
                            face.Quality),
                            face.Embedding, subject.SubjectId == WaitingSubject ? "" : subject.SubjectId));
                if (page.Count < StoreBatch)
                    break;
                after = page[^1].SubjectId;
            }
            if (faces.Count > 0)
                people.Restore(info.ModelId, faces, state);
            log.LogInformation("People of {Gallery} loaded: {Faces} faces, {People} people, {Pins} pinned faces",
                LogText.Safe(key.ToString(), 300), people.Count, people.PeopleCount, people.Pins.Count);
        }
        return entry.People = people;
    }

    /// <summary>Reads a gallery's people under its lock; NOT_FOUND when the gallery has neither people nor subjects.</summary>
    private async Task<T> Read<T>(GalleryKey key, Func<GalleryPeople, T> read, CancellationToken cancellation)
    {
        var entry = _galleries.GetOrAdd(key, _ => new Entry());
        await entry.Lock.WaitAsync(cancellation);
        try
        {
            var people = await Load(key, entry, cancellation);
            if (people.Count == 0 && await store.CountAsync(key, cancellation) is null)
                throw new GalleryNotFoundException(key);
            return read(people);
        }
        finally
        {
            entry.Lock.Release();
        }
    }

    /// <summary>A page of people, most faces first (then by id); the token is where the next page starts.</summary>
    public Task<ListPeopleResponse> PageAsync(GalleryKey key, int pageSize, string token, bool includeSingles,
        CancellationToken cancellation)
    {
        int start = token.Length == 0 ? 0 : int.TryParse(token, out int s) && s >= 0 ? s
            : throw new ArgumentException(
                $"page_token '{EventChecks.Safe(token)}' is not one ListPeople gave; start again with an empty token.");
        return Read(key, people =>
        {
            var all = people.FacesByPerson().Where(p => includeSingles || p.Value.Count > 1)
                .OrderByDescending(p => p.Value.Count).ThenBy(p => p.Key, StringComparer.Ordinal).ToArray();
            var response = new ListPeopleResponse
            {
                WaitingFaces = people.WaitingCount,
                NextPageToken = start + pageSize < all.Length
                    ? (start + pageSize).ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : "",
            };
            response.People.Add(all.Skip(start).Take(pageSize).Select(p => Describe(people, p.Key, p.Value, withFaces: false)));
            return response;
        }, cancellation);
    }

    public Task<Person> FindAsync(GalleryKey key, string personId, CancellationToken cancellation) => Read(key, people =>
    {
        var faces = people.HasPerson(personId) ? people.FacesOf(personId) : [];
        return faces.Count == 0 ? throw new PersonNotFoundException(personId) : Describe(people, personId, faces, withFaces: true);
    }, cancellation);

    public Task<PhotoPeople> PhotoAsync(GalleryKey key, string photoId, CancellationToken cancellation) => Read(key, people =>
    {
        var answer = new PhotoPeople { PhotoId = photoId };
        for (int face = 0; face < people.Count; face++)
            if (people.Faces[face].PhotoId == photoId)
            {
                var info = people.Faces[face];
                answer.Faces.Add(new PhotoFace
                {
                    FaceId = info.FaceId, PersonId = people.PersonOf(face),
                    Face = new Face { Box = BoxOf(info), Quality = new FaceQuality { Overall = info.Quality } },
                });
            }
        return answer.Faces.Count == 0 ? throw new PhotoNotFoundException(photoId) : answer;
    }, cancellation);

    private static Box BoxOf(PeopleFaceInfo f) => new() { Left = f.Box[0], Top = f.Box[1], Width = f.Box[2], Height = f.Box[3] };

    private static Person Describe(GalleryPeople people, string personId, List<int> faces, bool withFaces)
    {
        var best = faces.OrderByDescending(f => people.Faces[f].Quality).ThenBy(f => people.Faces[f].FaceId,
            StringComparer.Ordinal).ToArray();
        PersonFace Face(int f) => new()
        {
            FaceId = people.Faces[f].FaceId, PhotoId = people.Faces[f].PhotoId, Box = BoxOf(people.Faces[f]),
            Quality = people.Faces[f].Quality,
        };
        var person = new Person
        {
            PersonId = personId, Name = people.NameOf(personId) ?? "", FaceCount = faces.Count,
            Representative = Face(best[0])
        };
        person.PhotoIds.Add(faces.Select(f => people.Faces[f].PhotoId).Where(p => p.Length > 0).Distinct()
            .Order(StringComparer.Ordinal).Take(MaxListed));
        if (withFaces)
            person.Faces.Add(best.Take(MaxListed).Select(Face));
        return person;
    }

    private static GalleryKey Key(PeopleChange change)
    {
        if (change.Gallery is null || string.IsNullOrEmpty(change.Gallery.Tenant) || string.IsNullOrEmpty(change.Gallery.Gallery))
            throw new ArgumentException("The people change must name a tenant and a gallery.");
        EventChecks.Name(change.Gallery.Tenant, "tenant");
        EventChecks.Name(change.Gallery.Gallery, "gallery");
        return new GalleryKey(change.Gallery.Tenant, change.Gallery.Gallery);
    }
}

/// <summary>Configuration section <c>Matcher:People</c>.</summary>
public sealed class PeopleOptions
{
    /// <summary>Folder of the people journals; empty: <c>{Matcher:Embedded:DataDirectory}/people</c>, or memory only.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>Neighbours per face for grouping (k of the kNN graph); chosen on cfp-dev (tools/eval/README.md, People).</summary>
    [System.ComponentModel.DataAnnotations.Range(2, 200)]
    public int Neighbours { get; set; } = 20;

    /// <summary>Faces below this overall quality never start a person; they join one or wait.</summary>
    [System.ComponentModel.DataAnnotations.Range(0.0, 1.0)]
    public float MinQuality { get; set; } = 0.5f;

    /// <summary>A gallery's people are grouped again from scratch once this many faces arrived since the last time …</summary>
    [System.ComponentModel.DataAnnotations.Range(1, int.MaxValue)]
    public int RegroupAfterFaces { get; set; } = 1_000;

    /// <summary>… and at least this fraction of the gallery's faces.</summary>
    [System.ComponentModel.DataAnnotations.Range(0.0, 100.0)]
    public double RegroupAfterFraction { get; set; } = 0.25;
}
