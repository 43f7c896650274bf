using SwinFace.Fuzz;

namespace SwinFace.Tests.Hardening;

/// <summary>
/// Every seed and every minimised crash the fuzzer found (tests/SwinFace.Fuzz/seeds/ and regressions/) runs
/// through its fuzz target: each input is accepted or rejected with the parser's documented exception.
/// </summary>
public sealed class FuzzRegressionTests
{
    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        string root = Path.Combine(TestData.RepoRoot, "tests", "SwinFace.Fuzz");
        foreach (string kind in new[] { "seeds", "regressions" })
        {
            foreach (string dir in Directory.EnumerateDirectories(Path.Combine(root, kind)))
            {
                foreach (string file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
                {
                    data.Add(Path.GetFileName(dir), Path.GetRelativePath(root, file));
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Target_AcceptsOrRejectsAsDocumented(string target, string input)
    {
        FuzzTarget t = FuzzTargets.Find(target) ?? throw new InvalidOperationException($"no fuzz target '{target}' for {input}");
        t.Execute(File.ReadAllBytes(Path.Combine(TestData.RepoRoot, "tests", "SwinFace.Fuzz", input)));
    }

    [Fact]
    public void Regressions_AreRejectedNotAccepted()
    {
        // The crashes found were all malformed files: each must now be rejected with the documented exception.
        string root = Path.Combine(TestData.RepoRoot, "tests", "SwinFace.Fuzz", "regressions");
        foreach (string dir in Directory.EnumerateDirectories(root))
        {
            FuzzTarget t = FuzzTargets.Find(Path.GetFileName(dir))!;
            foreach (string file in Directory.EnumerateFiles(dir))
            {
                Assert.NotNull(t.Execute(File.ReadAllBytes(file)));
            }
        }
    }
}
