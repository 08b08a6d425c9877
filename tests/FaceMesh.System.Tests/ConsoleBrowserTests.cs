using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FaceMesh.SystemTests;

/// <summary>
/// Debian's chromium, headless, driven by Playwright (with the browser's executable path: Playwright cannot download its
/// own here; tests/run installs chromium and sets FACEMESH_REQUIRE_BROWSER=1, which makes its absence a failure).
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    private IPlaywright? _playwright;
    public IBrowser? Instance { get; private set; }

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
        {
            if (Environment.GetEnvironmentVariable("FACEMESH_REQUIRE_BROWSER") == "1")
                throw new InvalidOperationException($"The console tests need a browser at {Chromium}: apt-get install chromium.");
            return;
        }
        _playwright = await Playwright.CreateAsync();
        Instance = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"], // as root, without a GPU, in a container
        });
    }

    public async Task DisposeAsync()
    {
        if (Instance is not null)
            await Instance.DisposeAsync();
        _playwright?.Dispose();
    }
}

/// <summary>
/// The console (services/Gateway/Console) in a real browser against the fleet on loopback: what a new user does in
/// their first minute. A screenshot of each step is written to artifacts/test-results/console/.
/// </summary>
public sealed class ConsoleBrowserTests(LoopbackFleet fleet, Browser browser) : IClassFixture<LoopbackFleet>, IClassFixture<Browser>
{
    private static readonly string Screenshots = Directory.CreateDirectory(
        Path.Combine(TestPaths.RepositoryRoot, "artifacts", "test-results", "console")).FullName;

    private static readonly LocatorAssertionsToHaveTextOptions Slow = new() { Timeout = 60_000 }; // the 2 cores are shared

    private async Task<IPage> Open()
    {
        Skip.If(browser.Instance is null, $"no browser at {Browser.Chromium}");
        var page = await browser.Instance!.NewPageAsync(new BrowserNewPageOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        page.SetDefaultTimeout(60_000);
        await page.GotoAsync(fleet.Gateway.Http.BaseAddress!.ToString());
        return page;
    }

    private static Task Shot(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });

    [SkippableFact]
    public async Task The_console_loads_and_says_which_model_and_pack_it_talks_to()
    {
        var page = await Open();
        await Expect(page).ToHaveTitleAsync(new System.Text.RegularExpressions.Regex("FaceMesh"));
        await Expect(page.Locator("#server-info")).ToContainTextAsync("pack default", new() { Timeout = 60_000 });
        var modelId = (await fleet.Client.GetInfoAsync(new Contracts.V1.GetInfoRequest())).Model.ModelId;
        await Expect(page.Locator("#server-info")).ToContainTextAsync(modelId);
        await Shot(page, "1-loaded");
    }

    [SkippableFact]
    public async Task Verifying_two_photos_of_one_person_shows_a_match_with_both_aligned_crops()
    {
        var page = await Open();
        await page.ClickAsync("[data-tab=verify]");
        await page.SetInputFilesAsync("#verify-a", TestPaths.Example("obama.jpg"));
        await page.SetInputFilesAsync("#verify-b", TestPaths.Example("obama2.jpg"));
        await page.ClickAsync("#verify-run");
        var result = page.Locator("#verify-result");
        await Expect(result).ToContainTextAsync("Match", new() { Timeout = 60_000 });
        Assert.DoesNotContain("No match", await result.InnerTextAsync());
        // The aligned crops are drawn: not blank canvases.
        foreach (var crop in new[] { "#verify-crop-a", "#verify-crop-b" })
        {
            double spread = await page.EvaluateAsync<double>(@"id => {
                const c = document.querySelector(id), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let min = 255, max = 0; for (let i = 0; i < d.length; i += 4) { min = Math.min(min, d[i]); max = Math.max(max, d[i]); }
                return max - min; }", crop);
            Assert.True(spread > 50, $"{crop} looks blank (red channel spread {spread})");
        }
        await Shot(page, "2-verify");
    }

    [SkippableFact]
    public async Task A_photo_of_two_people_shows_two_boxes()
    {
        var page = await Open();
        await page.ClickAsync("[data-tab=detect]");
        await page.SetInputFilesAsync("#detect-file", TestPaths.Example("two_people.jpg"));
        await Expect(page.Locator("#detect-summary")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^2 faces"), Slow);
        Assert.Equal(2, await page.Locator("#detect-faces tbody tr").CountAsync());
        await Shot(page, "3-detect");
    }

    [SkippableFact]
    public async Task Enrolling_a_person_then_identifying_a_new_photo_names_them()
    {
        var page = await Open();
        var gallery = "console-" + Guid.NewGuid().ToString("N")[..8];
        await page.ClickAsync("[data-tab=galleries]");
        await page.FillAsync("#gallery-name", gallery);
        await page.FillAsync("#enroll-subject", "barack-obama");
        await page.SetInputFilesAsync("#enroll-files", [TestPaths.Example("obama.jpg"), TestPaths.Example("obama-480p.jpg")]);
        await page.ClickAsync("#enroll-run");
        await Expect(page.Locator("#enroll-result")).ToContainTextAsync("barack-obama", new() { Timeout = 60_000 });
        await Expect(page.Locator("#subject-list")).ToContainTextAsync("barack-obama", new() { Timeout = 60_000 });
        await Shot(page, "4-enroll");

        await page.ClickAsync("[data-tab=identify]");
        await page.FillAsync("#identify-gallery", gallery);
        await page.SetInputFilesAsync("#identify-file", TestPaths.Example("obama2.jpg"));
        await Expect(page.Locator("#identify-faces")).ToContainTextAsync("barack-obama", new() { Timeout = 60_000 });
        await Shot(page, "5-identify");

        // What the page showed is what the API answers.
        var subjects = await fleet.Client.ListSubjectsAsync(new Contracts.V1.ListSubjectsRequest { Gallery = gallery });
        Assert.Equal("barack-obama", Assert.Single(subjects.Subjects).SubjectId);
    }

    [SkippableFact]
    public async Task People_are_grouped_from_unlabelled_photos_then_named_and_merged()
    {
        var page = await Open();
        var gallery = "console-people-" + Guid.NewGuid().ToString("N")[..8];
        string? answer = null; // what the next prompt() is answered with; confirm() is accepted
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync(answer ?? "");
        await page.ClickAsync("[data-tab=people]");
        await page.FillAsync("#people-gallery", gallery);
        await page.CheckAsync("#people-singles");
        await page.SetInputFilesAsync("#people-files",
            [TestPaths.Example("obama.jpg"), TestPaths.Example("obama2.jpg"), TestPaths.Example("lin-manuel-miranda.png")]);
        await Expect(page.Locator("#people-result")).ToHaveTextAsync("Added 3 photos: 3 faces", Slow);
        await Expect(page.Locator("#people-summary")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^2 people"), Slow);
        // Most faces first: the two photos of one person are one card.
        var first = page.Locator("#people-list article.person").First;
        await Expect(first).ToContainTextAsync("2 faces");
        await Expect(first).ToContainTextAsync("obama2.jpg");
        await Shot(page, "6-people");

        var obama = await first.GetAttributeAsync("data-person-id");
        answer = "barack-obama";
        await first.Locator("[data-action=name]").ClickAsync();
        await Expect(page.Locator("#people-result")).ToContainTextAsync("barack-obama", new() { Timeout = 60_000 });
        var named = await fleet.Client.GetPersonAsync(new Contracts.V1.GetPersonRequest { Gallery = gallery, PersonId = obama });
        Assert.Equal("barack-obama", named.Name);

        foreach (var box in await page.Locator("#people-list .merge-select").AllAsync())
            await box.CheckAsync();
        await page.ClickAsync("#people-merge");
        await Expect(page.Locator("#people-summary")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^1 person"), Slow);
        var people = await fleet.Client.ListPeopleAsync(
            new Contracts.V1.ListPeopleRequest { Gallery = gallery, IncludeSingleFaces = true });
        Assert.Equal(3, Assert.Single(people.People).FaceCount);
        await Shot(page, "7-people-merged");
    }
}
