using System.Text.Json;
using FaceMesh.Cli;
using FaceMesh.Imaging;

namespace FaceMesh.SystemTests;

/// <summary>The facemesh CLI as a client of a running loopback fleet: the README's walk-through, end to end.</summary>
public sealed class CliFleetTests(LoopbackFleet fleet) : IClassFixture<LoopbackFleet>
{
    private static readonly string KnnExamples = Path.Combine(TestPaths.Datasets, "examples", "knn_examples");

    private int Run(params string[] args) => FaceMeshApp.Create().Run([.. args, "--server", fleet.Gateway.GrpcAddress]);

    [Fact]
    public void Enroll_a_folder_identify_a_group_photo_list_and_delete()
    {
        Assert.Equal(0, Run("enroll-folder", Path.Combine(KnnExamples, "train"), "--gallery", "cli"));

        var dir = TestPaths.NewTempDirectory();
        string json = Path.Combine(dir, "who.json"), png = Path.Combine(dir, "who.png");
        Assert.Equal(0, Run("identify", Path.Combine(KnnExamples, "test", "obama_and_biden.jpg"), "--gallery", "cli", "--json", json, "--draw", png));
        using (var answer = JsonDocument.Parse(File.ReadAllText(json)))
        {
            var names = answer.RootElement.EnumerateArray().Select(f => f.GetProperty("name").GetString()).OfType<string>().Order().ToArray();
            Assert.Equal(["biden", "obama"], names);
        }
        var drawn = ImageDecoder.Decode(File.ReadAllBytes(png));
        Assert.True(drawn.Width > 100);

        Assert.Equal(0, Run("subjects", "--gallery", "cli"));
        Assert.Equal(0, Run("delete", "--gallery", "cli", "--subject", "biden"));
        Assert.Equal(0, Run("identify", Path.Combine(KnnExamples, "test", "obama_and_biden.jpg"), "--gallery", "cli", "--json", json));
        using (var after = JsonDocument.Parse(File.ReadAllText(json)))
            Assert.DoesNotContain(after.RootElement.EnumerateArray(), f => f.GetProperty("name").GetString() == "biden");

        // Deleting again: NOT_FOUND, one line, exit 1.
        Assert.Equal(1, Run("delete", "--gallery", "cli", "--subject", "biden"));
    }

    [Fact]
    public void People_add_list_name_and_refuse_through_the_fleet()
    {
        Assert.Equal(0, Run("people", "add", Path.Combine(KnnExamples, "train"), "--gallery", "cli-people"));
        var people = fleet.Client.ListPeople(new Contracts.V1.ListPeopleRequest
        {
            Gallery = "cli-people",
            IncludeSingleFaces = true
        }).People;
        Assert.Equal(5, people.Count);
        Assert.Equal(0, Run("people", "list", "--gallery", "cli-people", "--all"));
        var obama = people.Single(p => p.PhotoIds.Contains("obama/obama.jpg"));
        Assert.Equal(0, Run("people", "show", obama.PersonId, "--gallery", "cli-people"));
        Assert.Equal(0, Run("people", "name", obama.PersonId, "obama", "--gallery", "cli-people"));

        var json = Path.Combine(TestPaths.NewTempDirectory(), "who.json");
        Assert.Equal(0, Run("identify", Path.Combine(KnnExamples, "test", "obama_and_biden.jpg"), "--gallery", "cli-people", "--json",
            json));
        using (var answer = JsonDocument.Parse(File.ReadAllText(json)))
            Assert.Equal(["obama"],
                answer.RootElement.EnumerateArray().Select(f => f.GetProperty("name").GetString()).OfType<string>().ToArray());
        // An unknown person: NOT_FOUND, one line, exit 1.
        Assert.Equal(1, Run("people", "merge", obama.PersonId, "p-nobody", "--gallery", "cli-people"));
        Assert.Equal(0, Run("people", "regroup", "--gallery", "cli-people"));
        Assert.Equal(5, fleet.Client.ListPeople(new Contracts.V1.ListPeopleRequest
        {
            Gallery = "cli-people",
            IncludeSingleFaces = true
        }).People.Count);
    }

    [Fact]
    public void Verify_through_the_fleet()
    {
        Assert.Equal(0, Run("verify", TestPaths.Example("obama.jpg"), TestPaths.Example("obama2.jpg")));
    }
}
