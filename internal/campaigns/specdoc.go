package campaigns

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// specDoc is a spec's YAML tree, for problems that name the key at fault and its line.
type specDoc struct{ root *yaml.Node }

// node returns the value at path (map keys and list indices), or nil when the spec has
// none there.
func (d specDoc) node(path ...any) *yaml.Node {
	n := d.root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, step := range path {
		if n == nil {
			return nil
		}
		switch step := step.(type) {
		case string:
			var next *yaml.Node
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == step {
						next = n.Content[i+1]
					}
				}
			}
			n = next
		case int:
			if n.Kind != yaml.SequenceNode || step >= len(n.Content) {
				return nil
			}
			n = n.Content[step]
		}
	}
	return n
}

// at prefixes a problem with the key path and, when the spec has it, its line.
func (d specDoc) at(path ...any) string {
	p := formatPath(path)
	if n := d.node(path...); n != nil && n.Line > 0 {
		return fmt.Sprintf("line %d: %s: ", n.Line, p)
	}
	return p + ": "
}

func formatPath(path []any) string {
	var b strings.Builder
	for _, step := range path {
		switch step := step.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(step)
		case int:
			b.WriteString("[" + strconv.Itoa(step) + "]")
		}
	}
	return b.String()
}

// unknownKeys reports the keys the spec types do not have, with the keys allowed there.
func (d specDoc) unknownKeys() []string {
	var out []string
	var walk func(n *yaml.Node, t reflect.Type, path []any)
	walk = func(n *yaml.Node, t reflect.Type, path []any) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			if t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode {
				for i, item := range n.Content {
					walk(item, t.Elem(), append(path[:len(path):len(path)], i))
				}
				return
			}
			if t.Kind() == reflect.Slice {
				return // the decoder reports the mismatch
			}
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || n.Kind != yaml.MappingNode {
			return
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag != "" && tag != "-" {
				fields[tag] = t.Field(i).Type
				names = append(names, tag)
			}
		}
		sort.Strings(names)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i], n.Content[i+1]
			kp := append(path[:len(path):len(path)], key.Value)
			ft, ok := fields[key.Value]
			if !ok {
				out = append(out, fmt.Sprintf("line %d: %s: unknown key (the keys here are %s)", key.Line, formatPath(kp), strings.Join(names, ", ")))
				continue
			}
			walk(value, ft, kp)
		}
	}
	if root := d.node(); root != nil {
		if root.Kind != yaml.MappingNode {
			return []string{fmt.Sprintf("line %d: the spec must be a mapping of keys (on, steps, ...)", root.Line)}
		}
		walk(root, reflect.TypeOf(Spec{}), nil)
	}
	return out
}

var lineRE = regexp.MustCompile(`^line (\d+): `)

// decodeProblems turns the decoder's errors ("line 5: cannot unmarshal ...", a field's
// own "line 5: published must be ...") into problems that name the key on that line.
func (d specDoc) decodeProblems(err error) []string {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		m = strings.TrimPrefix(m, "yaml: ")
		if sm := lineRE.FindStringSubmatch(m); sm != nil {
			line, _ := strconv.Atoi(sm[1])
			if path := d.pathOnLine(line); path != "" {
				m = "line " + sm[1] + ": " + path + ": " + strings.TrimPrefix(m, sm[0])
			}
		}
		out = append(out, m)
	}
	return out
}

// pathOnLine returns the path of the deepest key on line (or whose value starts there).
func (d specDoc) pathOnLine(line int) string {
	best := ""
	var walk func(n *yaml.Node, path []any)
	walk = func(n *yaml.Node, path []any) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				kp := append(path[:len(path):len(path)], n.Content[i].Value)
				if n.Content[i].Line == line || n.Content[i+1].Line == line {
					best = formatPath(kp)
				}
				walk(n.Content[i+1], kp)
			}
		case yaml.SequenceNode: // the key holding a list names it (steps[0].env)
			for i, item := range n.Content {
				walk(item, append(path[:len(path):len(path)], i))
			}
		}
	}
	if root := d.node(); root != nil {
		walk(root, nil)
	}
	return best
}
