using FaceMesh.Contracts.V1;
using FaceMesh.Matcher.People;
using FaceMesh.Matching;
using FaceMesh.Matching.Clustering;
using Xunit;
using static FaceMesh.UnitTests.TestVectors;

namespace FaceMesh.UnitTests;

/// <summary>
/// A gallery's people in memory (<see cref="GalleryPeople"/>), on generated faces: people around random directions of
/// 128 dimensions, each face at a cosine of about 0.9 to its person's direction. The fleet tests do the same on photos.
/// </summary>
public sealed class PeopleTests
{
    private static readonly ClusteringOptions Options = new() { EdgeThreshold = 0.6f, LinkageThreshold = 0.6f, K = 10, MinQuality = 0.5f };
    private static readonly GalleryKey Gallery = new("default", "people");

    /// <summary><paramref name="people"/> × <paramref name="each"/> faces, named "person/index" (the person hidden in the face
    /// id).</summary>
    private static PeopleFace[] Faces(int seed, int people, int each, string prefix = "")
    {
        var random = new Random(seed);
        var faces = new List<PeopleFace>();
        for (int p = 0; p < people; p++)
        {
            var centre = Normalised(Enumerable.Range(0, 128).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray());
            for (int i = 0; i < each; i++)
            {
                var noise = Normalised(Enumerable.Range(0, 128).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray());
                var vector = Normalised(centre.Zip(noise, (c, e) => c + 0.45f * e).ToArray());
                faces.Add(new PeopleFace
                {
                    FaceId = $"{prefix}{p}/{i}", PhotoId = $"photo-{prefix}{p}-{i}", Quality = 0.9f,
                    Box = new Box { Width = 100, Height = 120 }, Embedding = new Embedding { ModelId = "m", Values = { vector } },
                });
            }
        }
        return faces.ToArray();
    }

    private static PeopleChange Add(IEnumerable<PeopleFace> faces)
    {
        var change = new PeopleChange { Add = new AddPeopleFaces() };
        change.Add.Faces.Add(faces);
        return change;
    }

    private static PeopleDiff Apply(GalleryPeople people, PeopleChange change)
    {
        people.Check(change, _ => false);
        return people.Apply(change, []);
    }

    /// <summary>Face id → person id.</summary>
    private static Dictionary<string, string> Persons(GalleryPeople people) =>
        people.Faces.Select((f, i) => (f.FaceId, Person: people.PersonOf(i))).ToDictionary(f => f.FaceId, f => f.Person);

    private static string PersonOfFace(GalleryPeople people, string faceId) => people.PersonOf(faceId);

    [Fact]
    public void Faces_arriving_in_batches_form_their_people_and_two_matchers_name_them_alike()
    {
        var faces = Faces(seed: 31, people: 4, each: 6);
        var order = faces.OrderBy(f => f.PhotoId.GetHashCode(StringComparison.Ordinal) % 7).ThenBy(f => f.FaceId).ToArray();
        var (a, b) = (new GalleryPeople(Gallery, Options), new GalleryPeople(Gallery, Options));
        foreach (var batch in order.Chunk(5))
        {
            var diff = Apply(a, Add(batch));
            Assert.Equal(batch.Length, diff.Moved.Count(m => m.Before is null)); // every new face is in the diff, for the store
            Apply(b, Add(batch.Select(f => f.Clone())));
        }
        var persons = Persons(a);
        Assert.Equal(4, persons.Values.Distinct().Count());
        Assert.All(persons.GroupBy(p => p.Key.Split('/')[0]), person => Assert.Single(person.Select(p => p.Value).Distinct()));
        Assert.Equal(persons, Persons(b));

        // The same faces again (a redelivered event) change nothing.
        Assert.Empty(Apply(a, Add(faces.Take(3))).Moved);
        Assert.Equal(24, a.Count);
    }

    [Fact]
    public void A_regrouping_keeps_a_merge_a_move_and_a_not_this_person_and_the_ids_of_people_it_keeps()
    {
        var people = new GalleryPeople(Gallery, Options);
        Apply(people, Add(Faces(seed: 32, people: 3, each: 5)));
        string p0 = PersonOfFace(people, "0/0"), p1 = PersonOfFace(people, "1/0"), p2 = PersonOfFace(people, "2/0");
        Assert.Equal(3, new[] { p0, p1, p2 }.Distinct().Count());

        // 0 and 1 are one person (the clustering would never say so); 2/4 is moved to 0; 2/3 is not person 2.
        var merge = new PeopleChange { Merge = new MergePeopleChange { PersonId = p0, OtherPersonIds = { p1 } } };
        Assert.Equal(p0, Apply(people, merge).PersonId);
        Apply(people, new PeopleChange { Move = new MoveFaceChange { FaceId = "2/4", PersonId = p0 } });
        Apply(people, new PeopleChange { Reject = new RejectFaceChange { PersonId = p2, FaceId = "2/3" } });
        string rejected = PersonOfFace(people, "2/3");
        Assert.NotEqual(p2, rejected);

        Apply(people, new PeopleChange { Regroup = new RegroupPeopleChange() });
        var persons = Persons(people);
        Assert.Equal(11, persons.Count(p => p.Value == p0)); // 0's five, 1's five, 2/4
        Assert.Equal(3, persons.Count(p => p.Value == p2)); // 2/0 to 2/2
        Assert.NotEqual(p2, persons["2/3"]);
        Assert.NotEqual(p0, persons["2/3"]);
        // A face marked "not this person" cannot be moved back.
        Assert.Throws<PeopleConflictException>(() => people.Check(new PeopleChange
        {
            Move = new MoveFaceChange
            {
                FaceId = "2/3",
                PersonId = p2
            }
        }, _ => false));
    }

    [Fact]
    public void Checks_refuse_unknown_people_and_faces_taken_names_and_other_models_before_anything_moves()
    {
        var people = new GalleryPeople(Gallery, Options);
        Apply(people, Add(Faces(seed: 33, people: 2, each: 4)));
        string p0 = PersonOfFace(people, "0/0"), p1 = PersonOfFace(people, "1/0");
        var before = Persons(people);
        var unknown = new PeopleChange { Delete = new DeletePersonChange { PersonId = "p-none" } };
        Assert.Throws<PersonNotFoundException>(() => people.Check(unknown, _ => false));
        Assert.Throws<PeopleFaceNotFoundException>(() => people.Check(new PeopleChange { Move = new MoveFaceChange { FaceId = "9/9" } },
            _ => false));
        Assert.Throws<PeopleConflictException>(() => people.Check(new PeopleChange
        {
            Reject = new RejectFaceChange
            {
                PersonId = p1,
                FaceId = "0/0"
            }
        }, _ => false));
        Assert.Throws<PeopleConflictException>(() => people.Check(new PeopleChange
        {
            Name = new NamePersonChange
            {
                PersonId = p0,
                SubjectId = "alice"
            }
        }, _ => true));
        Apply(people, new PeopleChange { Name = new NamePersonChange { PersonId = p0, SubjectId = "alice" } });
        var taken = Assert.Throws<PeopleConflictException>(() =>
            people.Check(new PeopleChange { Name = new NamePersonChange { PersonId = p1, SubjectId = "alice" } }, _ => false));
        Assert.Contains("MergePeople", taken.Message);
        var other = Add(Faces(seed: 34, people: 1, each: 1, prefix: "x"));
        other.Add.Faces[0].Embedding.ModelId = "another";
        Assert.Throws<ModelMismatchException>(() => people.Check(other, _ => false));
        Assert.Equal(before, Persons(people));
    }

    [Fact]
    public void Naming_and_deleting_move_the_faces_of_the_subject_and_a_restore_gives_the_same_people()
    {
        var people = new GalleryPeople(Gallery, Options);
        Apply(people, Add(Faces(seed: 35, people: 3, each: 4)));
        string p0 = PersonOfFace(people, "0/0"), p1 = PersonOfFace(people, "1/0");
        var records = new List<PeopleJournal.Record>();
        var named = people.Apply(new PeopleChange { Name = new NamePersonChange { PersonId = p0, SubjectId = "alice" } }, records);
        Assert.Equal(4, named.Moved.Count(m => m.After.Subject == "alice" && m.Before?.Subject is null));
        Assert.Equal(4, records.Count(r => r.Kind == "pin"));
        var deleted = people.Apply(new PeopleChange { Delete = new DeletePersonChange { PersonId = p1 } }, records);
        Assert.Equal(4, deleted.Removed.Count);
        Assert.Equal(8, people.Count);

        // What the store and the journal hold, read back: the same people, names and pins.
        var journal = new PeopleJournal(Path.Combine(Path.GetTempPath(), "facemesh-tests", Guid.NewGuid().ToString("N")));
        journal.Rewrite(Gallery, people);
        var state = journal.Read(Gallery);
        var stored = people.Faces.Select((f, i) => (state.Faces[f.FaceId], people.Vector(i).ToArray(), people.PersonOf(i))).ToArray();
        var restored = new GalleryPeople(Gallery, Options);
        restored.Restore("m", stored, state);
        Assert.Equal(Persons(people), Persons(restored));
        Assert.Equal("alice", restored.NameOf(p0));
        Assert.Equal(4, restored.Pins.Count);
        Assert.Equal(people.Faces.Select(f => f.PhotoId), restored.Faces.Select(f => f.PhotoId));
    }
}
