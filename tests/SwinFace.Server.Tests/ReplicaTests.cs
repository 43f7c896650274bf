using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SwinFace.Analysis;
using SwinFace.Recognition;

namespace SwinFace.Server.Tests;

/// <summary>
/// Two instances of the service on one PostgreSQL + pgvector database: what one enrols, the other identifies.
/// The database is named by <c>SWINFACE_PG_SERVICE</c> (<c>tests/postgres/pglite.sh start</c> serves one and
/// <c>./test.sh</c> sets it). Unset, the test fails; a developer without a database may set it to <c>skip</c>,
/// except in CI (<c>CI=true</c>).
/// </summary>
public sealed class ReplicaTests
{
    private static readonly string? Setting = Environment.GetEnvironmentVariable("SWINFACE_PG_SERVICE");

    [SkippableReplicaFact]
    public async Task TwoReplicas_ShareOneGallery()
    {
        string connection = Setting is { Length: > 0 } and not "skip" ? Setting : throw new InvalidOperationException(
            "SWINFACE_PG_SERVICE is not set (or is 'skip' in CI), so the replica test cannot run: tests/postgres/pglite.sh start, then source artifacts/pglite/env (./test.sh does both).");
        string gallery = "replicas-" + Guid.NewGuid().ToString("N")[..8];
        string turned = TestData.Photo("one-face-turned.jpg");

        // Created one after the other: PGlite serves one connection's messages at a time.
        using ServerFactory first = Postgres(connection);
        using HttpClient a = first.Client();
        using ServerFactory second = Postgres(connection);
        using HttpClient b = second.Client();

        Assert.Equal(HttpStatusCode.Created, (await a.PostAsJsonAsync("/v1/galleries", new { name = gallery })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await b.PostAsJsonAsync("/v1/galleries", new { name = gallery })).StatusCode);
        using (HttpResponseMessage enrolled = await a.PostAsync($"/v1/galleries/{gallery}/identities/ana", Requests.Form(("p", turned), ("q", turned))))
        {
            Assert.Equal(HttpStatusCode.OK, enrolled.StatusCode);
        }

        // Enrolled on one replica, identified on the other, with the in-memory gallery's exact score.
        JsonElement identified = await (await b.PostAsync($"/v1/galleries/{gallery}/identify?k=3", Requests.Form(("p", turned)))).Content.ReadFromJsonAsync<JsonElement>();
        JsonElement match = identified.GetProperty("images")[0].GetProperty("faces")[0].GetProperty("matches")[0];
        Assert.Equal("ana", match.GetProperty("id").GetString());
        float[] embedding = second.Services.GetRequiredService<FaceAnalyzer>().AnalyzePhoto(turned, FaceTasks.Identity).Faces[0].Analysis.Embedding!;
        using var reference = new FaceGallery();
        reference.Enroll("ana", [embedding, embedding]);
        Assert.Equal(reference.Search(embedding, 1)[0].Similarity, match.GetProperty("similarity").GetSingle(), 1e-5f);

        // A rename on the second is seen by the first; a deletion on the first by the second.
        Assert.Equal(HttpStatusCode.OK, (await b.PatchAsJsonAsync($"/v1/galleries/{gallery}/identities/ana", new { newId = "anna" })).StatusCode);
        JsonElement page = await a.GetFromJsonAsync<JsonElement>($"/v1/galleries/{gallery}/identities");
        Assert.Equal(["anna"], page.GetProperty("identities").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        Assert.Equal(2, page.GetProperty("identities")[0].GetProperty("faces").GetInt32());

        JsonElement ready = await b.GetFromJsonAsync<JsonElement>("/readyz");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await a.DeleteAsync($"/v1/galleries/{gallery}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/v1/galleries/{gallery}")).StatusCode);
    }

    private static ServerFactory Postgres(string connection)
    {
        ServerFactory factory = new ServerFactory().With("SwinFace:Galleries:Store", "Postgres").With("SwinFace:Galleries:ConnectionString", connection);
        _ = factory.Services; // start it now
        return factory;
    }

    /// <summary>A fact that is skipped, with the reason, only when a developer sets SWINFACE_PG_SERVICE=skip outside CI.</summary>
    private sealed class SkippableReplicaFactAttribute : FactAttribute
    {
        public SkippableReplicaFactAttribute()
        {
            if (Setting == "skip" && Environment.GetEnvironmentVariable("CI") != "true")
            {
                Skip = "SWINFACE_PG_SERVICE=skip: the replica test needs PostgreSQL with pgvector (tests/postgres/pglite.sh start, then source artifacts/pglite/env).";
            }
        }
    }
}
