using FaceMesh.Contracts.V1;
using FaceMesh.Matching.Clustering;

namespace FaceMesh.Matcher.People;

/// <summary>What the Matcher knows of one added face besides its vector: the caller's photo, the box, the quality.</summary>
public sealed record PeopleFaceInfo(string FaceId, string PhotoId, float[] Box, float Quality);

/// <summary>Where a face is before and after a change: its person ("" while it waits) and that person's subject.</summary>
public readonly record struct FacePlace(string Person, string? Subject);

/// <summary>What a change did, for the store and the journal to follow: faces that moved, faces that are gone.</summary>
public sealed class PeopleDiff
{
    public List<(int Face, FacePlace? Before, FacePlace After)> Moved { get; } = [];
    public List<(string FaceId, FacePlace Before)> Removed { get; } = [];
    public string? PersonId { get; set; }
}

/// <summary>
/// The people of one gallery, in memory: the faces (vectors in an <see cref="IncrementalClustering"/>), which person
/// each is in, and the corrections people made, which every regrouping keeps:
/// <list type="bullet">
/// <item>pins: a face moved to a person, merged into one, or in a named person stays with it;</item>
/// <item>apart: "not this person" keeps the face apart from every face the person had then;</item>
/// <item>names: a named person is a subject of the gallery.</item>
/// </list>
/// A person id is derived from the face that started it (the same events give the same ids on every Matcher), and a
/// regrouping hands each new group the id of the person most of its faces were in. Every change is checked by
/// <see cref="Check"/> before anything moves. Not thread-safe: <see cref="PeopleBook"/> holds one lock per gallery.
/// </summary>
public sealed class GalleryPeople(Matching.GalleryKey key, ClusteringOptions defaults)
{
    private IncrementalClustering? _clusters;
    private readonly List<PeopleFaceInfo> _faces = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly Dictionary<int, string> _personOfGroup = [];
    private readonly Dictionary<string, int> _groupOfPerson = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _pins = new(StringComparer.Ordinal);
    private readonly HashSet<(string, string)> _apart = [];

    public string? ModelId { get; private set; }
    public ClusteringOptions Options { get; private set; } = defaults;
    public int Count => _faces.Count;
    public int WaitingCount => _clusters?.WaitingCount ?? 0;
    public int PeopleCount => _groupOfPerson.Count;
    public int AddedSinceRegroup { get; private set; }
    public IReadOnlyDictionary<string, string> Names => _names;
    public IReadOnlyDictionary<string, string> Pins => _pins;
    public IReadOnlyCollection<(string A, string B)> Apart => _apart;
    public IReadOnlyList<PeopleFaceInfo> Faces => _faces;

    public bool Contains(string faceId) => _index.ContainsKey(faceId);
    public bool HasPerson(string personId) => _groupOfPerson.ContainsKey(personId);
    public ReadOnlySpan<float> Vector(int face) => _clusters!.Vector(face);
    public string PersonOf(int face) => _clusters!.Groups[face] is var g && g != FaceClustering.Unassigned ? _personOfGroup[g] : "";
    public string PersonOf(string faceId) => PersonOf(_index[faceId]);
    public string? NameOf(string personId) => _names.GetValueOrDefault(personId);
    public string? PersonNamed(string subjectId) => _names.FirstOrDefault(n => n.Value == subjectId).Key;

    /// <summary>The faces of every person (face indexes), built in one pass.</summary>
    public Dictionary<string, List<int>> FacesByPerson()
    {
        var people = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int face = 0; face < _faces.Count; face++)
            if (PersonOf(face) is { Length: > 0 } person)
                (people.TryGetValue(person, out var list) ? list : people[person] = []).Add(face);
        return people;
    }

    public List<int> FacesOf(string personId)
    {
        var faces = new List<int>();
        if (!_groupOfPerson.TryGetValue(personId, out int group))
            return faces;
        var groups = _clusters!.Groups;
        for (int face = 0; face < groups.Count; face++)
            if (groups[face] == group)
                faces.Add(face);
        return faces;
    }

    /// <summary>
    /// The state kept on restart: the faces as the store holds them (person id per face, "" waiting) with what the
    /// journal recorded of them, and the corrections.
    /// </summary>
    public void Restore(string modelId, IReadOnlyList<(PeopleFaceInfo Info, float[] Vector, string Person)> faces,
        PeopleJournal.State state)
    {
        ModelId = modelId;
        Options = state.Thresholds is { } t ? Options with { EdgeThreshold = t.Edge, LinkageThreshold = t.Linkage } : Options;
        _clusters = new IncrementalClustering(faces[0].Vector.Length, Options);
        var groups = new int[faces.Count];
        for (int i = 0; i < faces.Count; i++)
        {
            _index[faces[i].Info.FaceId] = i;
            _faces.Add(faces[i].Info);
            groups[i] = faces[i].Person.Length == 0 ? FaceClustering.Unassigned : GroupFor(faces[i].Person);
        }
        _clusters.AddGrouped(faces.Select(f => f.Vector).ToArray(), faces.Select(f => f.Info.Quality).ToArray(), groups);
        foreach (var (face, person) in state.Pins)
            if (_index.ContainsKey(face))
                _pins[face] = person;
        foreach (var pair in state.Apart)
            if (_index.ContainsKey(pair.A) && _index.ContainsKey(pair.B))
                _apart.Add(pair);
        foreach (var (person, subject) in state.Names)
            if (_groupOfPerson.ContainsKey(person))
                _names[person] = subject;
    }

    private int GroupFor(string person)
    {
        if (!_groupOfPerson.TryGetValue(person, out int group))
        {
            group = _groupOfPerson.Count;
            _groupOfPerson[person] = group;
            _personOfGroup[group] = person;
        }
        return group;
    }

    /// <summary>Refuses a change that cannot be applied, saying why; changes nothing.</summary>
    public void Check(PeopleChange change, Func<string, bool> subjectEnrolled)
    {
        switch (change.ChangeCase)
        {
            case PeopleChange.ChangeOneofCase.Add:
                if (change.Add.Faces.Count == 0)
                    throw new ArgumentException("The change adds no faces.");
                var model = change.Add.Faces[0].Embedding?.ModelId ?? "";
                if (ModelId is not null && model != ModelId)
                    throw new Matching.ModelMismatchException(key, ModelId, model);
                int dimension = _faces.Count > 0 ? _clusters!.Vector(0).Length : 0;
                if (dimension > 0 && change.Add.Faces.FirstOrDefault(f => f.Embedding.Values.Count != dimension) is { } odd)
                    throw new ArgumentException(
                        $"Face '{odd.FaceId}' has a {odd.Embedding.Values.Count}-d embedding; the gallery's people are {dimension}-d.");
                break;
            case PeopleChange.ChangeOneofCase.Merge:
                Person(change.Merge.PersonId);
                if (change.Merge.OtherPersonIds.Count == 0)
                    throw new ArgumentException("other_person_ids is empty: name the people to merge into person_id.");
                foreach (var other in change.Merge.OtherPersonIds)
                {
                    Person(other);
                    if (other == change.Merge.PersonId)
                        throw new ArgumentException($"Person '{other}' cannot be merged into itself.");
                }
                break;
            case PeopleChange.ChangeOneofCase.Move:
                Face(change.Move.FaceId);
                if (change.Move.PersonId.Length > 0)
                {
                    Person(change.Move.PersonId);
                    if (_apart.Any(p => Involves(p, change.Move.FaceId) && PersonOf(Other(p, change.Move.FaceId)) == change.Move.PersonId))
                        throw new PeopleConflictException(
                            $"Face '{change.Move.FaceId}' was marked as not person '{change.Move.PersonId}'; it cannot be moved there. " +
                            "Move it to another person, or to a person of its own (no person_id).");
                }
                break;
            case PeopleChange.ChangeOneofCase.Reject:
                Person(change.Reject.PersonId);
                Face(change.Reject.FaceId);
                if (PersonOf(change.Reject.FaceId) is var current && current != change.Reject.PersonId)
                    throw new PeopleConflictException(
                        $"Face '{change.Reject.FaceId}' is not in person '{change.Reject.PersonId}' (it is in " +
                        (current.Length > 0 ? $"person '{current}'" : "no person: it waits") + "); nothing to undo.");
                break;
            case PeopleChange.ChangeOneofCase.Name:
                Person(change.Name.PersonId);
                var subject = change.Name.SubjectId;
                if (PersonNamed(subject) is { } named && named != change.Name.PersonId)
                    throw new PeopleConflictException(
                        $"Subject '{subject}' is already person '{named}'; merge the two people instead (MergePeople).");
                if (PersonNamed(subject) is null && subjectEnrolled(subject))
                    throw new PeopleConflictException(
                        $"Subject '{subject}' was enrolled in the gallery (Enroll); a person cannot take an enrolled subject's name. " +
                        "Choose another subject id, or delete the enrolled subject first.");
                break;
            case PeopleChange.ChangeOneofCase.Delete:
                Person(change.Delete.PersonId);
                break;
            case PeopleChange.ChangeOneofCase.Regroup:
                break;
            default:
                throw new ArgumentException("The people change names no change (add, merge, move, reject, name, delete or regroup).");
        }
    }

    private void Person(string personId)
    {
        if (!_groupOfPerson.ContainsKey(personId))
            throw new PersonNotFoundException(personId);
    }

    private void Face(string faceId)
    {
        if (!_index.ContainsKey(faceId))
            throw new PeopleFaceNotFoundException(faceId);
    }

    private static bool Involves((string A, string B) pair, string face) => pair.A == face || pair.B == face;
    private static string Other((string A, string B) pair, string face) => pair.A == face ? pair.B : pair.A;
    private static (string, string) Pair(string a, string b) => string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a);

    /// <summary>Applies a checked change; returns what moved. The journal's records of it are in <paramref name="journal"/>.</summary>
    public PeopleDiff Apply(PeopleChange change, List<PeopleJournal.Record> journal)
    {
        // Only the faces a change can move are compared: in a large gallery a new photo must not cost a pass over every face.
        var touched = Touched(change);
        var before = touched.ToDictionary(f => f, Place);
        var diff = new PeopleDiff();
        switch (change.ChangeCase)
        {
            case PeopleChange.ChangeOneofCase.Add:
                Add(change.Add, journal);
                break;
            case PeopleChange.ChangeOneofCase.Merge:
                int into = _groupOfPerson[change.Merge.PersonId];
                foreach (var other in change.Merge.OtherPersonIds.Distinct())
                {
                    foreach (int face in FacesOf(other))
                        _clusters!.MoveTo(face, into);
                    if (_names.Remove(other, out var otherName) && !_names.ContainsKey(change.Merge.PersonId))
                        SetName(change.Merge.PersonId, otherName, journal);
                    else if (otherName is not null)
                        journal.Add(new() { Kind = "unname", Person = other });
                }
                Forget();
                PinAll(change.Merge.PersonId, journal);
                diff.PersonId = change.Merge.PersonId;
                break;
            case PeopleChange.ChangeOneofCase.Move:
                {
                    int face = _index[change.Move.FaceId];
                    string target = change.Move.PersonId;
                    if (target.Length == 0)
                    {
                        target = NewPersonId(change.Move.FaceId);
                        int group = _clusters!.NewGroup();
                        (_personOfGroup[group], _groupOfPerson[target]) = (target, group);
                    }
                    _clusters!.MoveTo(face, _groupOfPerson[target]);
                    Pin(change.Move.FaceId, target, journal);
                    Forget();
                    diff.PersonId = target;
                    break;
                }
            case PeopleChange.ChangeOneofCase.Reject:
                {
                    string faceId = change.Reject.FaceId, person = change.Reject.PersonId;
                    int face = _index[faceId];
                    foreach (int other in FacesOf(person))
                        if (other != face && _apart.Add(Pair(faceId, _faces[other].FaceId)))
                            journal.Add(new() { Kind = "apart", Face = faceId, Other = _faces[other].FaceId });
                    if (_pins.Remove(faceId))
                        journal.Add(new() { Kind = "unpin", Face = faceId });
                    string own = NewPersonId(faceId);
                    int group = _clusters!.NewGroup();
                    (_personOfGroup[group], _groupOfPerson[own]) = (own, group);
                    _clusters.MoveTo(face, group);
                    Forget();
                    diff.PersonId = person;
                    break;
                }
            case PeopleChange.ChangeOneofCase.Name:
                SetName(change.Name.PersonId, change.Name.SubjectId, journal);
                PinAll(change.Name.PersonId, journal);
                diff.PersonId = change.Name.PersonId;
                break;
            case PeopleChange.ChangeOneofCase.Delete:
                Delete(change.Delete.PersonId, diff, journal);
                return diff;
            case PeopleChange.ChangeOneofCase.Regroup:
                Regroup();
                break;
        }
        // An addition also compares the faces it added (they had no place before).
        var compared = touched.Concat(Enumerable.Range(_firstAdded, _faces.Count - _firstAdded));
        foreach (int face in compared.Distinct().Order())
        {
            var after = Place(face);
            FacePlace? old = before.TryGetValue(face, out var b) ? b : null;
            if (old != after)
                diff.Moved.Add((face, old, after));
        }
        return diff;
    }

    private int _firstAdded;

    /// <summary>The faces a change can move (before it is applied): for an addition the waiting faces (the new ones
    /// are added to them after), for a correction the faces of the people it names, for a regrouping every face.</summary>
    private IReadOnlyCollection<int> Touched(PeopleChange change)
    {
        _firstAdded = _faces.Count;
        return change.ChangeCase switch
        {
            PeopleChange.ChangeOneofCase.Add => _clusters?.Waiting.ToArray() ?? [],
            PeopleChange.ChangeOneofCase.Merge =>
                change.Merge.OtherPersonIds.Append(change.Merge.PersonId).Distinct().SelectMany(FacesOf).ToArray(),
            PeopleChange.ChangeOneofCase.Move => [_index[change.Move.FaceId]],
            PeopleChange.ChangeOneofCase.Reject => FacesOf(change.Reject.PersonId),
            PeopleChange.ChangeOneofCase.Name => FacesOf(change.Name.PersonId),
            PeopleChange.ChangeOneofCase.Delete => FacesOf(change.Delete.PersonId),
            _ => Enumerable.Range(0, _faces.Count).ToArray(),
        };
    }

    private FacePlace Place(int face)
    {
        string person = PersonOf(face);
        return new FacePlace(person, person.Length == 0 ? null : _names.GetValueOrDefault(person));
    }

    private void Add(AddPeopleFaces add, List<PeopleJournal.Record> journal)
    {
        if (add.EdgeThreshold > 0 && add.LinkageThreshold > 0
            && (add.EdgeThreshold != Options.EdgeThreshold || add.LinkageThreshold != Options.LinkageThreshold))
        {
            Options = Options with { EdgeThreshold = add.EdgeThreshold, LinkageThreshold = add.LinkageThreshold };
            if (_clusters is not null)
                _clusters.Options = Options;
            journal.Add(new() { Kind = "thresholds", Edge = add.EdgeThreshold, Linkage = add.LinkageThreshold });
        }
        // A face added again (a retried photo, a redelivered event) is the same face: it stays where it is.
        var fresh = add.Faces.Where(f => !_index.ContainsKey(f.FaceId)).DistinctBy(f => f.FaceId).ToArray();
        if (fresh.Length == 0)
            return;
        ModelId ??= fresh[0].Embedding.ModelId;
        _clusters ??= new IncrementalClustering(fresh[0].Embedding.Values.Count, Options);
        foreach (var f in fresh)
        {
            var box = f.Box is null ? new float[4] : [f.Box.Left, f.Box.Top, f.Box.Width, f.Box.Height];
            var info = new PeopleFaceInfo(f.FaceId, f.PhotoId, box, f.Quality);
            _index[f.FaceId] = _faces.Count;
            _faces.Add(info);
            journal.Add(new() { Kind = "face", Face = f.FaceId, Photo = f.PhotoId, Box = box, Quality = f.Quality });
        }
        int first = _faces.Count - fresh.Length;
        _clusters.Add(fresh.Select(f => f.Embedding.Values.ToArray()).ToArray(), fresh.Select(f => f.Quality).ToArray());
        AddedSinceRegroup += fresh.Length;
        // Groups the new faces started get the id of the face that started them.
        for (int face = first; face < _faces.Count; face++)
        {
            int group = _clusters.Groups[face];
            if (group != FaceClustering.Unassigned && !_personOfGroup.ContainsKey(group))
            {
                string person = NewPersonId(_faces[face].FaceId);
                (_personOfGroup[group], _groupOfPerson[person]) = (person, group);
            }
        }
    }

    /// <summary>
    /// Average linkage over every face again, with the corrections; each new group takes the id of the person pinned
    /// in it, or else of the person most of its faces were in (largest overlaps first), or a new one.
    /// </summary>
    public void Regroup()
    {
        if (_clusters is null)
            return;
        var before = new string[_faces.Count];
        for (int face = 0; face < before.Length; face++)
            before[face] = PersonOf(face);
        var constraints = new ClusterConstraints
        {
            Pinned = _pins.ToDictionary(p => _index[p.Key], p => p.Value),
            CannotLinks = _apart.Select(p => (_index[p.Item1], _index[p.Item2])).ToArray(),
        };
        _clusters.Recluster(constraints);
        AddedSinceRegroup = 0;
        var groups = _clusters.Groups;
        var members = new Dictionary<int, List<int>>();
        for (int face = 0; face < groups.Count; face++)
            if (groups[face] != FaceClustering.Unassigned)
                (members.TryGetValue(groups[face], out var list) ? list : members[groups[face]] = []).Add(face);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var personOf = new Dictionary<int, string>();
        foreach (var (group, faces) in members)
            if (faces.Select(f => _pins.GetValueOrDefault(_faces[f].FaceId)).FirstOrDefault(p => p is not null) is { } pinned
                && taken.Add(pinned))
                personOf[group] = pinned;
        var overlaps = members.Where(m => !personOf.ContainsKey(m.Key))
            .SelectMany(m => m.Value.Where(f => before[f].Length > 0).GroupBy(f => before[f]).Select(g => (Group: m.Key, Person: g.Key,
                Count: g.Count())))
            .OrderByDescending(o => o.Count).ThenBy(o => o.Person, StringComparer.Ordinal);
        foreach (var (group, person, _) in overlaps)
            if (!personOf.ContainsKey(group) && taken.Add(person))
                personOf[group] = person;
        _personOfGroup.Clear();
        _groupOfPerson.Clear();
        foreach (var (group, person) in personOf)
            (_personOfGroup[group], _groupOfPerson[person]) = (person, group);
        foreach (var (group, faces) in members.OrderBy(m => _faces[m.Value[0]].FaceId, StringComparer.Ordinal))
            if (!_personOfGroup.ContainsKey(group))
            {
                string person = NewPersonId(_faces[faces[0]].FaceId);
                (_personOfGroup[group], _groupOfPerson[person]) = (person, group);
            }
        foreach (var person in _names.Keys.Where(p => !_groupOfPerson.ContainsKey(p)).ToArray())
            _names.Remove(person);
    }

    private void Delete(string person, PeopleDiff diff, List<PeopleJournal.Record> journal)
    {
        var gone = FacesOf(person).ToHashSet();
        var keep = Enumerable.Range(0, _faces.Count).Where(f => !gone.Contains(f)).ToArray();
        foreach (int face in gone)
        {
            string id = _faces[face].FaceId;
            diff.Removed.Add((id, Place(face)));
            _pins.Remove(id);
            journal.Add(new() { Kind = "gone", Face = id });
        }
        _apart.RemoveWhere(p => gone.Contains(_index[p.Item1]) || gone.Contains(_index[p.Item2]));
        _names.Remove(person);
        // The clustering holds no way to drop a vector: the faces that stay are added again, in their groups.
        var vectors = keep.Select(f => _clusters!.Vector(f).ToArray()).ToArray();
        var quality = keep.Select(f => _faces[f].Quality).ToArray();
        var groups = keep.Select(f => _clusters!.Groups[f]).ToArray();
        var faces = keep.Select(f => _faces[f]).ToArray();
        _faces.Clear();
        _index.Clear();
        _groupOfPerson.Remove(person);
        foreach (var group in _personOfGroup.Where(p => p.Value == person).Select(p => p.Key).ToArray())
            _personOfGroup.Remove(group);
        if (faces.Length == 0)
        {
            _clusters = null;
            return;
        }
        _clusters = new IncrementalClustering(vectors[0].Length, Options);
        _clusters.AddGrouped(vectors, quality, groups);
        foreach (var face in faces)
        {
            _index[face.FaceId] = _faces.Count;
            _faces.Add(face);
        }
        diff.PersonId = person;
    }

    private void SetName(string person, string subject, List<PeopleJournal.Record> journal)
    {
        _names[person] = subject;
        journal.Add(new() { Kind = "name", Person = person, Subject = subject });
    }

    private void PinAll(string person, List<PeopleJournal.Record> journal)
    {
        foreach (int face in FacesOf(person))
            Pin(_faces[face].FaceId, person, journal);
    }

    private void Pin(string faceId, string person, List<PeopleJournal.Record> journal)
    {
        if (_pins.TryGetValue(faceId, out var old) && old == person)
            return;
        _pins[faceId] = person;
        journal.Add(new() { Kind = "pin", Face = faceId, Person = person });
    }

    /// <summary>Drops the people left without faces (a merge or a move emptied them); their pins go with them.</summary>
    private void Forget()
    {
        foreach (var (person, group) in _groupOfPerson.ToArray())
            if (_clusters!.SizeOf(group) == 0)
            {
                _groupOfPerson.Remove(person);
                _personOfGroup.Remove(group);
                _names.Remove(person);
            }
    }

    /// <summary>A person id from the face that started it: the same on every Matcher that applied the same changes.</summary>
    private string NewPersonId(string faceId)
    {
        for (int attempt = 0; ; attempt++)
        {
            var bytes = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"person\n{faceId}\n{attempt}"));
            string id = "p" + Convert.ToHexStringLower(bytes)[..11];
            if (!_groupOfPerson.ContainsKey(id) && !_names.ContainsKey(id))
                return id;
        }
    }
}

/// <summary>No such person in the gallery (gRPC <c>NOT_FOUND</c>).</summary>
public sealed class PersonNotFoundException(string personId)
    : Exception($"Person '{personId}' is not in the gallery's people (merged, deleted, or never there); list them with ListPeople.");

/// <summary>No such added face in the gallery's people (gRPC <c>NOT_FOUND</c>).</summary>
public sealed class PeopleFaceNotFoundException(string faceId)
    : Exception($"Face '{faceId}' is not among the gallery's people (AddPhotos returns face ids; GetPhotoPeople lists a photo's).");

/// <summary>A correction that contradicts another (gRPC <c>FAILED_PRECONDITION</c>).</summary>
public sealed class PeopleConflictException(string message) : Exception(message);

/// <summary>No face of the photo among the gallery's people (gRPC <c>NOT_FOUND</c>).</summary>
public sealed class PhotoNotFoundException(string photoId)
    : Exception($"No face of photo '{Messaging.EventChecks.Safe(photoId)}' is among the gallery's people: it was never added " +
                "(AddPhotos), " +
                "it showed no face, or its people were deleted.");
