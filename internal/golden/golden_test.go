package golden

import "testing"

func TestDiff(t *testing.T) {
	for _, c := range []struct{ want, got, diff string }{
		{"a\nb\nc\n", "a\nb\nc\n", ""},
		{"a\nb\nc\n", "a\nx\nc\n", "@@ want line 1, got line 1 @@\n a\n-b\n+x\n c\n"},
		{"", "a\n", "@@ want line 1, got line 1 @@\n+a\n"},
		{"a\n", "a", "@@ want line 1, got line 1 @@\n-a\n+a (no newline at end)\n"},
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n", "@@ want line 9, got line 9 @@\n 9\n 10\n 11\n-12\n"},
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n", "@@ want line 1, got line 1 @@\n+0\n 1\n 2\n 3\n@@ want line 7, got line 8 @@\n 7\n 8\n 9\n-10\n"},
	} {
		if d := Diff(c.want, c.got); d != c.diff {
			t.Errorf("Diff(%q, %q) =\n%s\nwant\n%s", c.want, c.got, d, c.diff)
		}
	}
}
