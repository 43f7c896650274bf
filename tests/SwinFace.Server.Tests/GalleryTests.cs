using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SwinFace.Analysis;
using SwinFace.Recognition;

namespace SwinFace.Server.Tests;

/// <summary>Galleries over HTTP: create, enrol, list, identify, rename, remove, delete, and the model check.</summary>
public sealed class GalleryTests
{
    private static readonly string Turned = TestData.Photo("one-face-turned.jpg");
    private static readonly string Three = TestData.Photo("three-faces.jpg");

    [Fact]
    public async Task Gallery_FullLifecycle()
    {
        using ServerFactory server = new();
        using HttpClient client = server.Client();

        using (HttpResponseMessage created = await client.PostAsJsonAsync("/v1/galleries", new { name = "staff" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("/v1/galleries/staff", created.Headers.Location?.OriginalString);
        }

        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync("/v1/galleries", new { name = "staff" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/v1/galleries", new { name = "../etc" })).StatusCode);

        JsonElement enrolled = await Json(await client.PostAsync("/v1/galleries/staff/identities/ana", Requests.Form(("p", Turned), ("q", Turned))), HttpStatusCode.OK);
        Assert.Equal(2, enrolled.GetProperty("enrolled").GetInt32());
        Assert.Equal(2, enrolled.GetProperty("faces").GetInt32());
        await Json(await client.PostAsync("/v1/galleries/staff/identities/ben", Requests.Form(("p", Three))), HttpStatusCode.OK);

        JsonElement page = await client.GetFromJsonAsync<JsonElement>("/v1/galleries/staff/identities?limit=1");
        Assert.Equal("ana", page.GetProperty("identities")[0].GetProperty("id").GetString());
        Assert.Equal("ana", page.GetProperty("next").GetString());
        JsonElement rest = await client.GetFromJsonAsync<JsonElement>("/v1/galleries/staff/identities?limit=1&after=ana");
        Assert.Equal("ben", rest.GetProperty("identities")[0].GetProperty("id").GetString());

        // Identify: exact scores, equal to the library's gallery with the same enrolments.
        JsonElement identified = await Json(await client.PostAsync("/v1/galleries/staff/identify?k=2", Requests.Form(("p", Turned))), HttpStatusCode.OK);
        JsonElement face = identified.GetProperty("images")[0].GetProperty("faces")[0];
        Assert.Equal("ana", face.GetProperty("matches")[0].GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, face.GetProperty("identity").ValueKind);
        FaceAnalyzer analyzer = server.Services.GetRequiredService<FaceAnalyzer>();
        float[] turned = analyzer.AnalyzePhoto(Turned, FaceTasks.Identity).Faces[0].Analysis.Embedding!;
        using var reference = new FaceGallery();
        reference.Enroll("ana", [turned, turned]);
        Assert.Equal(reference.Search(turned, 1)[0].Similarity, face.GetProperty("matches")[0].GetProperty("similarity").GetSingle(), 1e-5f);

        Assert.Equal(HttpStatusCode.Conflict, (await client.PatchAsJsonAsync("/v1/galleries/staff/identities/ana", new { newId = "ben" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PatchAsJsonAsync("/v1/galleries/staff/identities/zoe", new { newId = "zed" })).StatusCode);
        JsonElement renamed = await Json(await client.PatchAsJsonAsync("/v1/galleries/staff/identities/ana", new { newId = "anna" }), HttpStatusCode.OK);
        Assert.Equal(2, renamed.GetProperty("faces").GetInt32());

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/galleries/staff/identities/ben")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync("/v1/galleries/staff/identities/ben")).StatusCode);
        JsonElement info = await client.GetFromJsonAsync<JsonElement>("/v1/galleries/staff");
        Assert.Equal(1, info.GetProperty("identities").GetInt32());
        Assert.Equal(analyzer.ModelId, info.GetProperty("model").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/galleries/staff")).StatusCode);
        JsonElement gone = await Json(await client.GetAsync("/v1/galleries/staff"), HttpStatusCode.NotFound);
        Assert.Equal("No such gallery", gone.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Enroll_APhotoWithoutAFace_EnrolsNothing()
    {
        using ServerFactory server = new();
        using HttpClient client = server.Client();
        await client.PostAsJsonAsync("/v1/galleries", new { name = "g" });
        using var blank = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(300, 300);
        var png = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(blank, png);
        var form = Requests.Form(("a", Turned));
        form.Add(new ByteArrayContent(png.ToArray()), "b", "empty.png");

        JsonElement problem = await Json(await client.PostAsync("/v1/galleries/g/identities/x", form), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("empty.png: no face found", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, (await client.GetFromJsonAsync<JsonElement>("/v1/galleries/g")).GetProperty("identities").GetInt32());
    }

    [Fact]
    public async Task GalleryOfAnotherModel_IsRefusedForEnrolAndIdentify_AndReadyzReportsIt()
    {
        string folder = Directory.CreateTempSubdirectory("swinface-server-").FullName;
        try
        {
            using (var other = new FaceGallery("sha256:another-model"))
            {
                other.Enroll("x", Enumerable.Range(0, 512).Select(i => (float)Math.Sin(i)).ToArray());
                other.Save(Path.Combine(folder, "old.gallery"));
            }

            using ServerFactory server = new ServerFactory().With("SwinFace:Galleries:Store", "Folder").With("SwinFace:Galleries:Folder", folder);
            using HttpClient client = server.Client();
            JsonElement identify = await Json(await client.PostAsync("/v1/galleries/old/identify", Requests.Form(("p", Turned))), HttpStatusCode.Conflict);
            Assert.Contains("sha256:another-model", identify.GetProperty("detail").GetString(), StringComparison.Ordinal);
            await Json(await client.PostAsync("/v1/galleries/old/identities/y", Requests.Form(("p", Turned))), HttpStatusCode.Conflict);

            JsonElement ready = await client.GetFromJsonAsync<JsonElement>("/readyz");
            Assert.Equal(["old"], ready.GetProperty("galleriesOfOtherModels").EnumerateArray().Select(e => e.GetString()));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task FolderStore_KeepsGalleriesAcrossRestarts()
    {
        string folder = Directory.CreateTempSubdirectory("swinface-server-").FullName;
        try
        {
            using (ServerFactory first = new ServerFactory().With("SwinFace:Galleries:Store", "Folder").With("SwinFace:Galleries:Folder", folder))
            {
                using HttpClient client = first.Client();
                await client.PostAsJsonAsync("/v1/galleries", new { name = "kept" });
                await Json(await client.PostAsync("/v1/galleries/kept/identities/ana", Requests.Form(("p", Turned))), HttpStatusCode.OK);
            }

            Assert.True(File.Exists(Path.Combine(folder, "kept.gallery")));
            using ServerFactory second = new ServerFactory().With("SwinFace:Galleries:Store", "Folder").With("SwinFace:Galleries:Folder", folder);
            using HttpClient again = second.Client();
            JsonElement identified = await Json(await again.PostAsync("/v1/galleries/kept/identify", Requests.Form(("p", Turned))), HttpStatusCode.OK);
            Assert.Equal("ana", identified.GetProperty("images")[0].GetProperty("faces")[0].GetProperty("matches")[0].GetProperty("id").GetString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Identify_BadK_Gives400_AndAnUnknownGallery404()
    {
        using ServerFactory server = new();
        using HttpClient client = server.Client();
        await client.PostAsJsonAsync("/v1/galleries", new { name = "g" });
        await Json(await client.PostAsync("/v1/galleries/g/identify?k=0", Requests.Form(("p", Turned))), HttpStatusCode.BadRequest);
        await Json(await client.PostAsync("/v1/galleries/nope/identify", Requests.Form(("p", Turned))), HttpStatusCode.NotFound);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(expected == response.StatusCode, $"{response.StatusCode}: {body}");
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }
}
