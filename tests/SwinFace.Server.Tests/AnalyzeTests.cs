using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SwinFace.Analysis;

namespace SwinFace.Server.Tests;

/// <summary><c>/v1/analyze</c> and <c>/v1/compare</c>: the CLI's JSON, task selection, aligned crops and options.</summary>
public sealed class AnalyzeTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    [Fact]
    public async Task Analyze_RawBody_WritesTheLibrarysJsonForThePhoto()
    {
        string path = TestData.Photo("three-faces.jpg");
        using HttpClient client = factory.Client();
        using HttpResponseMessage response = await client.PostAsync("/v1/analyze", Requests.Image(path));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string json = await response.Content.ReadAsStringAsync();

        // The same document, written by the library's writer from the library's own analysis of the photo.
        FaceAnalyzer analyzer = factory.Services.GetRequiredService<FaceAnalyzer>();
        PhotoAnalysis photo = analyzer.AnalyzePhoto(path);
        var expected = new MemoryStream();
        using (var writer = new Utf8JsonWriter(expected))
        {
            writer.WriteStartObject();
            AnalysisJson.WriteModel(writer, analyzer);
            writer.WriteStartArray("images");
            AnalysisJson.WriteImage(writer, "body", photo);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        AssertSameJson(JsonDocument.Parse(expected.ToArray()).RootElement, JsonDocument.Parse(json).RootElement, "$");
    }

    [Fact]
    public async Task Analyze_MultipartImages_InOrder_WithOnlyTheTasksAsked()
    {
        using HttpClient client = factory.Client();
        using HttpResponseMessage response = await client.PostAsync(
            "/v1/analyze?tasks=age,expression",
            Requests.Form(("x", TestData.Photo("one-face-turned.jpg")), ("y", TestData.Photo("three-faces.jpg"))));
        JsonElement doc = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement[] images = [.. doc.GetProperty("images").EnumerateArray()];
        Assert.Equal(["one-face-turned.jpg", "three-faces.jpg"], images.Select(i => i.GetProperty("file").GetString()));
        Assert.Equal([1, 3], images.Select(i => i.GetProperty("faces").GetArrayLength()));
        JsonElement face = images[1].GetProperty("faces")[0];
        Assert.True(face.TryGetProperty("age", out _));
        Assert.True(face.TryGetProperty("expression", out _));
        Assert.False(face.TryGetProperty("embedding", out _));
        Assert.False(face.TryGetProperty("attributes", out _));
        Assert.False(face.TryGetProperty("male", out _));
    }

    [Fact]
    public async Task Analyze_AlignedCrop_IsOneFaceWithoutDetection()
    {
        string crop = TestData.Golden("face_00.png");
        using HttpClient client = factory.Client();
        using HttpResponseMessage response = await client.PostAsync("/v1/analyze?aligned=true&tasks=identity", Requests.Form(("f", crop)));
        JsonElement doc = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement face = doc.GetProperty("images")[0].GetProperty("faces").EnumerateArray().Single();
        Assert.False(face.TryGetProperty("box", out _));
        float[] embedding = [.. face.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())];
        using var image = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(crop);
        float[] expected = factory.Services.GetRequiredService<FaceAnalyzer>().Analyze(image, FaceTasks.Identity).Embedding!;
        Assert.Equal(expected.Length, embedding.Length);
        Assert.All(expected.Zip(embedding), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5f, $"{p.First} vs {p.Second}"));
    }

    [Fact]
    public async Task Analyze_CropsMaxFacesAndMinFaceSize()
    {
        using HttpClient client = factory.Client();
        JsonElement all = await (await client.PostAsync("/v1/analyze?tasks=identity&crops=true", Requests.Image(TestData.Photo("three-faces.jpg")))).Content.ReadFromJsonAsync<JsonElement>();
        JsonElement[] faces = [.. all.GetProperty("images")[0].GetProperty("faces").EnumerateArray()];
        Assert.Equal(3, faces.Length);
        Assert.All(faces, f => Assert.StartsWith("data:image/png;base64,", f.GetProperty("crop").GetString(), StringComparison.Ordinal));

        JsonElement two = await (await client.PostAsync("/v1/analyze?tasks=identity&maxFaces=2", Requests.Image(TestData.Photo("three-faces.jpg")))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, two.GetProperty("images")[0].GetProperty("faces").GetArrayLength());
        Assert.Equal(1, two.GetProperty("images")[0].GetProperty("skippedFaces").GetInt32());

        float widest = faces.Max(f => f.GetProperty("box")[2].GetSingle());
        JsonElement large = await (await client.PostAsync(FormattableString.Invariant($"/v1/analyze?tasks=identity&minFaceSize={widest - 0.5f}"), Requests.Image(TestData.Photo("three-faces.jpg")))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, large.GetProperty("images")[0].GetProperty("faces").GetArrayLength());
        Assert.Equal(2, large.GetProperty("images")[0].GetProperty("skippedFaces").GetInt32());
    }

    [Theory]
    [InlineData("tasks=age,colour", "unknown task 'colour'")]
    [InlineData("tasks=0", "unknown task '0'")]
    [InlineData("maxFaces=0", "maxFaces must be at least 1")]
    [InlineData("minFaceSize=-1", "minFaceSize must be 0 or more")]
    [InlineData("aligned=true&crops=true", "apply to photos")]
    public async Task Analyze_BadQuery_Gives400Problem(string query, string reason)
    {
        using HttpClient client = factory.Client();
        using HttpResponseMessage response = await client.PostAsync("/v1/analyze?" + query, Requests.Image(TestData.Photo("three-faces.jpg")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(reason, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Analyze_UnreadableImage_Gives400NamingTheImage_WithTheLibrarysMessage()
    {
        using HttpClient client = factory.Client();
        var form = Requests.Form(("a", TestData.Photo("three-faces.jpg")));
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes("hello, not an image")), "b", "notes.jpg");
        using HttpResponseMessage response = await client.PostAsync("/v1/analyze", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Unreadable image", problem.GetProperty("title").GetString());
        Assert.StartsWith("notes.jpg: not an image in a supported format", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, factory.Services.GetRequiredService<FaceAnalyzer>().Scheduler.QueuedFaces);
    }

    [Fact]
    public async Task Analyze_EmptyBody_Gives400()
    {
        using HttpClient client = factory.Client();
        using HttpResponseMessage response = await client.PostAsync("/v1/analyze", new ByteArrayContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("No image", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
    }

    [Fact]
    public async Task Compare_GivesTheSimilarityOfTheLargestFaces_AndNoVerdictWithoutAThreshold()
    {
        using HttpClient client = factory.Client();
        using HttpResponseMessage response = await client.PostAsync("/v1/compare", Requests.Form(("b", TestData.Photo("three-faces.jpg")), ("a", TestData.Photo("one-face-turned.jpg"))));
        JsonElement doc = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("one-face-turned.jpg", doc.GetProperty("a").GetString());
        Assert.Equal(JsonValueKind.Null, doc.GetProperty("threshold").ValueKind);
        Assert.Equal(JsonValueKind.Null, doc.GetProperty("samePerson").ValueKind);

        FaceAnalyzer analyzer = factory.Services.GetRequiredService<FaceAnalyzer>();
        float[] a = analyzer.AnalyzePhoto(TestData.Photo("one-face-turned.jpg"), FaceTasks.Identity).Faces[0].Analysis.Embedding!;
        float[] b = analyzer.AnalyzePhoto(TestData.Photo("three-faces.jpg"), FaceTasks.Identity).Faces.MaxBy(f => f.Detection.Box.Width * f.Detection.Box.Height)!.Analysis.Embedding!;
        Assert.Equal(Recognition.FaceSimilarity.Cosine(a, b), doc.GetProperty("similarity").GetSingle(), 1e-5f);
    }

    [Fact]
    public async Task Compare_NeedsTwoImagesWithFaces()
    {
        using HttpClient client = factory.Client();
        using (HttpResponseMessage one = await client.PostAsync("/v1/compare", Requests.Form(("a", TestData.Photo("three-faces.jpg")))))
        {
            Assert.Equal(HttpStatusCode.BadRequest, one.StatusCode);
        }

        using var blank = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(200, 200);
        var png = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(blank, png);
        var form = Requests.Form(("a", TestData.Photo("three-faces.jpg")));
        form.Add(new ByteArrayContent(png.ToArray()), "b", "blank.png");
        using HttpResponseMessage faceless = await client.PostAsync("/v1/compare", form);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, faceless.StatusCode);
        Assert.Contains("blank.png: no face found", (await faceless.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static void AssertSameJson(JsonElement expected, JsonElement actual, string path)
    {
        Assert.True(expected.ValueKind == actual.ValueKind, $"{path}: {expected.ValueKind} vs {actual.ValueKind}");
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                Assert.Equal(expected.EnumerateObject().Select(p => p.Name), actual.EnumerateObject().Select(p => p.Name));
                foreach (JsonProperty p in expected.EnumerateObject())
                {
                    AssertSameJson(p.Value, actual.GetProperty(p.Name), $"{path}.{p.Name}");
                }

                break;
            case JsonValueKind.Array:
                Assert.True(expected.GetArrayLength() == actual.GetArrayLength(), $"{path}: length");
                for (int i = 0; i < expected.GetArrayLength(); i++)
                {
                    AssertSameJson(expected[i], actual[i], $"{path}[{i}]");
                }

                break;
            case JsonValueKind.Number:
                // Batches of other sizes round the last bits differently (FaceAnalyzer's remarks): within 1e-5.
                Assert.True(Math.Abs(expected.GetDouble() - actual.GetDouble()) <= 1e-5, $"{path}: {expected} vs {actual}");
                break;
            default:
                Assert.Equal(expected.ToString(), actual.ToString());
                break;
        }
    }
}
