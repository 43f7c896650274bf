using SwinFace.Recognition;

namespace SwinFace.Tests.Recognition;

/// <summary>Reading labelled pairs from CSV.</summary>
public sealed class PairsCsvTests
{
    private static IReadOnlyList<ImagePair> Read(string text) => PairsCsv.Read(new StringReader(text));

    [Fact]
    public void Read_ParsesPairsAfterAHeader()
    {
        IReadOnlyList<ImagePair> pairs = Read("imageA,imageB,same,group\na.jpg,b.jpg,1,young\n\n\"c, d.jpg\" , e.jpg ,false\r\nf.jpg,g.jpg,0,\n");
        Assert.Equal(
            [new ImagePair("a.jpg", "b.jpg", true, "young"), new ImagePair("c, d.jpg", "e.jpg", false, null), new ImagePair("f.jpg", "g.jpg", false, null)],
            pairs);
    }

    [Fact]
    public void Read_ParsesPairsWithoutAHeader()
    {
        Assert.Equal([new ImagePair("x", "y", true, null)], Read("x,y,1"));
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("0", false)]
    [InlineData("TRUE", true)]
    [InlineData("false", false)]
    [InlineData(" True ", true)]
    public void Read_AcceptsZeroOneTrueFalse(string label, bool same)
    {
        Assert.Equal(same, Assert.Single(Read($"a,b,{label}")).Same);
    }

    [Fact]
    public void Read_UnescapesDoubledQuotes()
    {
        Assert.Equal("say \"hi\".jpg", Assert.Single(Read("\"say \"\"hi\"\".jpg\",b,1,\"g\"")).ImageA);
    }

    [Theory]
    [InlineData("a,b,1\na,b,2\n", 2, "'same' must be 0, 1, true or false")]
    [InlineData("imageA,imageB,same\nimageA,imageB,same\n", 2, "'same' must be")]
    [InlineData("a,b\n", 1, "expected 3 or 4 fields")]
    [InlineData("a,b,1\n\na,b,1,g,h\n", 3, "found 5")]
    [InlineData("a,b,1\n\"a,b,1\n", 2, "not closed")]
    [InlineData("a,b,1\n\"a\"x,b,1\n", 2, "unexpected 'x'")]
    [InlineData("a,b,1\na,,1\n", 2, "imageB is empty")]
    [InlineData("a,b,1\n,b,1\n", 2, "imageA is empty")]
    public void Read_ThrowsWithTheLineNumber(string text, int line, string what)
    {
        FormatException e = Assert.Throws<FormatException>(() => Read(text));
        Assert.StartsWith($"Pairs CSV line {line}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(what, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ThrowsForNullReader()
    {
        Assert.Throws<ArgumentNullException>(() => PairsCsv.Read(null!));
    }
}
