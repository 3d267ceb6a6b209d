//! The artifact graph's algorithms, pure and in memory: typed edges from an
//! input to the artifact made from it (`glibc -> bash.rpm`: build-requires),
//! and the questions asked of them both ways. Every walk terminates on
//! cycles (build-requires cycles are normal in a distribution) and reports
//! them; tiers come from the graph's strongly connected components, so a
//! cycle is one tier, rebuilt together.
//!
//! Nodes are numbered densely; adjacency is kept both ways, so inputs and
//! consumers cost the same. Groundwork for the artifact graph (issue 5): the
//! store keeps the edges, this answers from an index built from them.

use std::collections::{HashMap, VecDeque};

/// A node's number in a [`Graph`].
pub type NodeId = u32;

#[derive(Debug, Clone, Default)]
pub struct Graph {
    index: HashMap<String, NodeId>,
    names: Vec<String>,
    kinds: Vec<String>,
    kind_index: HashMap<String, u16>,
    /// Per node: the artifacts made from it (node, edge kind).
    consumers: Vec<Vec<(NodeId, u16)>>,
    /// Per node: what it is made from.
    inputs: Vec<Vec<(NodeId, u16)>>,
}

/// Which way to walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// What went into a node, transitively.
    Inputs,
    /// What is made from a node, transitively.
    Consumers,
}

/// A walk's limits: how deep (`None`: all the way) and along which edge
/// kinds (empty: all).
#[derive(Debug, Clone, Default)]
pub struct Walk {
    pub max_depth: Option<u32>,
    pub kinds: Vec<String>,
}

/// What a walk reached: each node once, at its least depth, in the order
/// reached; and the cycles among the nodes reached (each the members of one
/// strongly connected component, sorted), so a caller sees them and the walk
/// still ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub nodes: Vec<(String, u32)>,
    pub cycles: Vec<Vec<String>>,
    /// True when `max_depth` stopped the walk before it ran out of nodes.
    pub truncated: bool,
}

/// One artifact of a rebuild plan and the changed inputs that make it due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuild {
    pub artifact: String,
    pub triggered_by: Vec<String>,
}

/// Strongly connected components of a part of the graph: per node its
/// component (`u32::MAX` outside the part), the count, and each
/// component's members; numbered so that every edge goes from a higher
/// number to a lower or the same one.
struct Components {
    of: Vec<u32>,
    members: Vec<Vec<NodeId>>,
}

impl Graph {
    pub fn new() -> Graph {
        Graph::default()
    }

    /// The node called `name`, added when new.
    pub fn node(&mut self, name: &str) -> NodeId {
        if let Some(id) = self.index.get(name) {
            return *id;
        }
        let id = self.names.len() as NodeId;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), id);
        self.consumers.push(Vec::new());
        self.inputs.push(Vec::new());
        id
    }

    pub fn id(&self, name: &str) -> Option<NodeId> {
        self.index.get(name).copied()
    }

    pub fn name(&self, id: NodeId) -> &str {
        &self.names[id as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// How many edges the graph holds.
    pub fn edge_count(&self) -> usize {
        self.inputs.iter().map(Vec::len).sum()
    }

    fn kind(&mut self, kind: &str) -> u16 {
        match self.kind_index.get(kind) {
            Some(k) => *k,
            None => {
                let k = self.kinds.len() as u16;
                self.kinds.push(kind.to_string());
                self.kind_index.insert(kind.to_string(), k);
                k
            }
        }
    }

    /// `artifact` is made from `input` (an edge of `kind`). The caller
    /// knows the edge is new (a bulk load of distinct edges); see
    /// [`Graph::insert_edge`] otherwise.
    pub fn add_edge(&mut self, input: &str, artifact: &str, kind: &str) {
        let k = self.kind(kind);
        let (i, a) = (self.node(input), self.node(artifact));
        self.consumers[i as usize].push((a, k));
        self.inputs[a as usize].push((i, k));
    }

    /// [`Graph::add_edge`] between nodes already numbered.
    pub fn add_edge_between(&mut self, input: NodeId, artifact: NodeId, kind: &str) {
        let k = self.kind(kind);
        self.consumers[input as usize].push((artifact, k));
        self.inputs[artifact as usize].push((input, k));
    }

    /// Adds the edge unless the graph has it; true when added.
    pub fn insert_edge(&mut self, input: &str, artifact: &str, kind: &str) -> bool {
        let k = self.kind(kind);
        let (i, a) = (self.node(input), self.node(artifact));
        if self.inputs[a as usize].contains(&(i, k)) {
            return false;
        }
        self.consumers[i as usize].push((a, k));
        self.inputs[a as usize].push((i, k));
        true
    }

    /// Removes the edge if the graph has it; true when removed. Nodes stay.
    pub fn remove_edge(&mut self, input: &str, artifact: &str, kind: &str) -> bool {
        let (Some(i), Some(a), Some(&k)) =
            (self.id(input), self.id(artifact), self.kind_index.get(kind))
        else {
            return false;
        };
        let before = self.inputs[a as usize].len();
        self.inputs[a as usize].retain(|e| *e != (i, k));
        self.consumers[i as usize].retain(|e| *e != (a, k));
        before != self.inputs[a as usize].len()
    }

    /// The direct inputs of `artifact`: (input, kind), in insertion order.
    pub fn inputs_of(&self, artifact: &str) -> Vec<(&str, &str)> {
        self.id(artifact).map_or_else(Vec::new, |a| {
            self.inputs[a as usize]
                .iter()
                .map(|&(i, k)| (self.name(i), self.kinds[k as usize].as_str()))
                .collect()
        })
    }

    /// The direct consumers of `input`: (artifact, kind), in insertion order.
    pub fn consumers_of(&self, input: &str) -> Vec<(&str, &str)> {
        self.id(input).map_or_else(Vec::new, |i| {
            self.consumers[i as usize]
                .iter()
                .map(|&(a, k)| (self.name(a), self.kinds[k as usize].as_str()))
                .collect()
        })
    }

    /// The kinds of the edges from `input` to `artifact`.
    pub fn kinds_between(&self, input: &str, artifact: &str) -> Vec<&str> {
        let (Some(i), Some(a)) = (self.id(input), self.id(artifact)) else {
            return Vec::new();
        };
        self.inputs[a as usize]
            .iter()
            .filter(|e| e.0 == i)
            .map(|e| self.kinds[e.1 as usize].as_str())
            .collect()
    }

    fn allowed(&self, kinds: &[String]) -> Option<Vec<bool>> {
        if kinds.is_empty() {
            return None;
        }
        Some(self.kinds.iter().map(|k| kinds.contains(k)).collect())
    }

    /// Everything reachable from `start` in `direction`, breadth first.
    pub fn walk(&self, start: &str, direction: Direction, w: &Walk) -> Option<Reach> {
        let start = self.id(start)?;
        let allowed = self.allowed(&w.kinds);
        let next = match direction {
            Direction::Inputs => &self.inputs,
            Direction::Consumers => &self.consumers,
        };
        let mut depth: Vec<u32> = vec![u32::MAX; self.names.len()];
        depth[start as usize] = 0;
        let mut queue = VecDeque::from([start]);
        let mut reached = vec![start];
        let mut truncated = false;
        while let Some(n) = queue.pop_front() {
            let d = depth[n as usize];
            for &(m, k) in &next[n as usize] {
                if allowed.as_ref().is_some_and(|a| !a[k as usize]) || depth[m as usize] != u32::MAX
                {
                    continue;
                }
                if w.max_depth.is_some_and(|max| d + 1 > max) {
                    truncated = true;
                    continue;
                }
                depth[m as usize] = d + 1;
                reached.push(m);
                queue.push_back(m);
            }
        }
        let mut within = vec![false; self.names.len()];
        for &n in &reached {
            within[n as usize] = true;
        }
        let cycles = self.cycles(&self.components(Some(&within), allowed.as_deref()));
        Some(Reach {
            nodes: reached[1..]
                .iter()
                .map(|&n| (self.name(n).to_string(), depth[n as usize]))
                .collect(),
            cycles,
            truncated,
        })
    }

    /// The components of more than one node, or of one with an edge to
    /// itself: the graph's cycles, each sorted, sorted by first member.
    fn cycles(&self, c: &Components) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = c
            .members
            .iter()
            .filter(|m| m.len() > 1 || self.consumers[m[0] as usize].iter().any(|e| e.0 == m[0]))
            .map(|m| {
                let mut names: Vec<String> = m.iter().map(|&n| self.name(n).to_string()).collect();
                names.sort_unstable();
                names
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// The shortest chain of edges by which `artifact` is made from `input`
    /// (`[input, ..., artifact]`), if it is; only along `kinds` when given.
    pub fn path(&self, input: &str, artifact: &str, kinds: &[String]) -> Option<Vec<String>> {
        let (from, to) = (self.id(input)?, self.id(artifact)?);
        let allowed = self.allowed(kinds);
        let mut came_from: Vec<Option<NodeId>> = vec![None; self.names.len()];
        let mut seen = vec![false; self.names.len()];
        seen[from as usize] = true;
        let mut queue = VecDeque::from([from]);
        while let Some(n) = queue.pop_front() {
            if n == to {
                let mut path = vec![self.name(n).to_string()];
                let mut at = n;
                while let Some(p) = came_from[at as usize] {
                    path.push(self.name(p).to_string());
                    at = p;
                }
                path.reverse();
                return Some(path);
            }
            for &(m, k) in &self.consumers[n as usize] {
                if !seen[m as usize] && allowed.as_ref().is_none_or(|a| a[k as usize]) {
                    seen[m as usize] = true;
                    came_from[m as usize] = Some(n);
                    queue.push_back(m);
                }
            }
        }
        None
    }

    /// The strongly connected components (Tarjan's, without recursion) of
    /// the nodes `within` (all when `None`) along the `allowed` edge kinds.
    fn components(&self, within: Option<&[bool]>, allowed: Option<&[bool]>) -> Components {
        let n = self.names.len();
        let inside = |v: NodeId| within.is_none_or(|w| w[v as usize]);
        let follows = |k: u16| allowed.is_none_or(|a| a[k as usize]);
        let mut index = vec![u32::MAX; n];
        let mut low = vec![0u32; n];
        let mut on_stack = vec![false; n];
        let mut of = vec![u32::MAX; n];
        let mut members: Vec<Vec<NodeId>> = Vec::new();
        let mut stack: Vec<NodeId> = Vec::new();
        let mut next_index = 0u32;
        // The explicit call stack: (node, position in its consumer list).
        let mut calls: Vec<(NodeId, usize)> = Vec::new();
        for root in 0..n as NodeId {
            if index[root as usize] != u32::MAX || !inside(root) {
                continue;
            }
            calls.push((root, 0));
            index[root as usize] = next_index;
            low[root as usize] = next_index;
            next_index += 1;
            stack.push(root);
            on_stack[root as usize] = true;
            while let Some(&mut (v, ref mut pos)) = calls.last_mut() {
                if let Some(&(w, k)) = self.consumers[v as usize].get(*pos) {
                    *pos += 1;
                    if !inside(w) || !follows(k) {
                        continue;
                    }
                    if index[w as usize] == u32::MAX {
                        index[w as usize] = next_index;
                        low[w as usize] = next_index;
                        next_index += 1;
                        stack.push(w);
                        on_stack[w as usize] = true;
                        calls.push((w, 0));
                    } else if on_stack[w as usize] {
                        low[v as usize] = low[v as usize].min(index[w as usize]);
                    }
                    continue;
                }
                calls.pop();
                if let Some(&(parent, _)) = calls.last() {
                    low[parent as usize] = low[parent as usize].min(low[v as usize]);
                }
                if low[v as usize] == index[v as usize] {
                    let c = members.len() as u32;
                    let mut group = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w as usize] = false;
                        of[w as usize] = c;
                        group.push(w);
                        if w == v {
                            break;
                        }
                    }
                    members.push(group);
                }
            }
        }
        Components { of, members }
    }

    /// Per component, its tier: 0 when made from nothing inside the part,
    /// otherwise one more than its highest input's tier.
    fn component_tiers(&self, c: &Components, allowed: Option<&[bool]>) -> Vec<u32> {
        // Tarjan numbers components so that consumers come first: walk them
        // from the highest number (pure inputs) down.
        let mut tier = vec![0u32; c.members.len()];
        for comp in (0..c.members.len()).rev() {
            for &v in &c.members[comp] {
                for &(w, k) in &self.consumers[v as usize] {
                    let cw = c.of[w as usize];
                    if cw != u32::MAX
                        && cw as usize != comp
                        && allowed.is_none_or(|a| a[k as usize])
                    {
                        tier[cw as usize] = tier[cw as usize].max(tier[comp] + 1);
                    }
                }
            }
        }
        tier
    }

    /// Each node's tier in a layered build, by node number: 0 for what is
    /// made from nothing the graph knows, otherwise one more than its highest
    /// input's tier; the nodes of a cycle share one tier. A tier depends only
    /// on a node's inputs, so the tiers of an artifact's own build are these.
    pub fn tier_numbers(&self, kinds: &[String]) -> Vec<u32> {
        let allowed = self.allowed(kinds);
        let c = self.components(None, allowed.as_deref());
        let tier = self.component_tiers(&c, allowed.as_deref());
        c.of.iter().map(|&comp| tier[comp as usize]).collect()
    }

    /// Each node's tier, by name (see [`Graph::tier_numbers`]).
    pub fn tiers(&self) -> Vec<(String, u32)> {
        self.tier_numbers(&[])
            .into_iter()
            .enumerate()
            .map(|(v, t)| (self.names[v].clone(), t))
            .collect()
    }

    /// What must be rebuilt when `changed` change: every transitive consumer
    /// (not the changed ones themselves, even on a cycle),
    /// grouped in the order they must be rebuilt (a step's artifacts need
    /// only earlier steps; a cycle is rebuilt in one step), each with the
    /// changed inputs that reach it. Unknown names are left out.
    pub fn rebuild_plan(&self, changed: &[&str], kinds: &[String]) -> Vec<Vec<Rebuild>> {
        let allowed = self.allowed(kinds);
        let n = self.names.len();
        // Which changed inputs reach each node.
        let mut triggers: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut affected = vec![false; n];
        let starts: Vec<NodeId> = changed.iter().filter_map(|c| self.id(c)).collect();
        let mut seen = vec![u32::MAX; n];
        for (i, &s) in starts.iter().enumerate() {
            seen[s as usize] = i as u32;
            let mut queue = VecDeque::from([s]);
            while let Some(v) = queue.pop_front() {
                for &(w, k) in &self.consumers[v as usize] {
                    if allowed.as_ref().is_some_and(|a| !a[k as usize])
                        || seen[w as usize] == i as u32
                    {
                        continue;
                    }
                    seen[w as usize] = i as u32;
                    triggers[w as usize].push(i as u32);
                    affected[w as usize] = true;
                    queue.push_back(w);
                }
            }
        }
        // Order the affected nodes by the tiers of the affected subgraph.
        let c = self.components(Some(&affected), allowed.as_deref());
        let step = self.component_tiers(&c, allowed.as_deref());
        let mut plan: Vec<Vec<Rebuild>> = Vec::new();
        for v in (0..n).filter(|&v| affected[v]) {
            let s = step[c.of[v] as usize] as usize;
            if plan.len() <= s {
                plan.resize_with(s + 1, Vec::new);
            }
            plan[s].push(Rebuild {
                artifact: self.names[v].clone(),
                triggered_by: triggers[v]
                    .iter()
                    .map(|i| self.name(starts[*i as usize]).to_string())
                    .collect(),
            });
        }
        for s in &mut plan {
            s.sort_by(|a, b| a.artifact.cmp(&b.artifact));
        }
        plan.retain(|s| !s.is_empty());
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// glibc and gcc build everything; bash and readline require each other
    /// (a cycle); a base image includes bash; a layered image is built on it.
    fn distro() -> Graph {
        let mut g = Graph::new();
        g.add_edge("glibc", "gcc", "build-requires");
        g.add_edge("gcc", "glibc", "build-requires");
        g.add_edge("glibc", "readline", "build-requires");
        g.add_edge("gcc", "readline", "build-requires");
        g.add_edge("readline", "bash", "requires");
        g.add_edge("bash", "readline", "requires");
        g.add_edge("bash", "base-image", "includes");
        g.add_edge("glibc", "base-image", "includes");
        g.add_edge("base-image", "httpd-image", "base-image");
        g.add_edge("httpd", "httpd-image", "includes");
        g
    }

    fn names(r: &Reach) -> Vec<&str> {
        r.nodes.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn inputs_and_consumers_both_ways_with_depths_and_cycles() {
        let g = distro();
        let inputs = g
            .walk("httpd-image", Direction::Inputs, &Walk::default())
            .unwrap();
        let mut all = names(&inputs);
        all.sort_unstable();
        assert_eq!(
            all,
            ["base-image", "bash", "gcc", "glibc", "httpd", "readline"]
        );
        assert_eq!(inputs.nodes[0], ("base-image".to_string(), 1));
        assert_eq!(
            inputs.cycles,
            [vec!["bash", "readline"], vec!["gcc", "glibc"]],
            "the bash/readline and glibc/gcc cycles are reported"
        );
        let shallow = g
            .walk(
                "httpd-image",
                Direction::Inputs,
                &Walk {
                    max_depth: Some(1),
                    kinds: Vec::new(),
                },
            )
            .unwrap();
        let mut direct = names(&shallow);
        direct.sort_unstable();
        assert_eq!(direct, ["base-image", "httpd"]);
        assert!(shallow.truncated);
        let consumers = g
            .walk("glibc", Direction::Consumers, &Walk::default())
            .unwrap();
        let mut all = names(&consumers);
        all.sort_unstable();
        assert_eq!(
            all,
            ["base-image", "bash", "gcc", "httpd-image", "readline"]
        );
        // Edge kinds filter the walk: glibc is only included in the image.
        let included = g
            .walk(
                "glibc",
                Direction::Consumers,
                &Walk {
                    max_depth: None,
                    kinds: vec!["includes".into(), "base-image".into()],
                },
            )
            .unwrap();
        assert_eq!(names(&included), ["base-image", "httpd-image"]);
        assert!(
            g.walk("nothing", Direction::Inputs, &Walk::default())
                .is_none()
        );
    }

    #[test]
    fn a_diamond_is_no_cycle_and_edges_come_and_go() {
        let mut g = Graph::new();
        g.add_edge("a", "b", "requires");
        g.add_edge("a", "c", "requires");
        g.add_edge("b", "c", "requires");
        g.add_edge("b", "d", "requires");
        g.add_edge("c", "d", "requires");
        let r = g.walk("a", Direction::Consumers, &Walk::default()).unwrap();
        assert_eq!(names(&r), ["b", "c", "d"]);
        assert!(r.cycles.is_empty(), "{:?}", r.cycles);
        assert!(!g.insert_edge("a", "b", "requires"), "already there");
        assert!(g.insert_edge("d", "a", "requires"));
        let r = g.walk("a", Direction::Consumers, &Walk::default()).unwrap();
        assert_eq!(r.cycles, [vec!["a", "b", "c", "d"]]);
        // A cycle through an edge kind the walk does not follow is none.
        let only = Walk {
            max_depth: None,
            kinds: vec!["requires".into()],
        };
        g.remove_edge("d", "a", "requires");
        g.add_edge("d", "a", "includes");
        assert!(
            g.walk("a", Direction::Consumers, &only)
                .unwrap()
                .cycles
                .is_empty()
        );
        assert!(g.remove_edge("a", "b", "requires"));
        assert!(!g.remove_edge("a", "b", "requires"));
        assert_eq!(g.inputs_of("b"), Vec::<(&str, &str)>::new());
        assert_eq!(g.kinds_between("d", "a"), ["includes"]);
        assert_eq!(g.edge_count(), 5);
    }

    #[test]
    fn a_path_explains_why_an_artifact_depends_on_an_input() {
        let g = distro();
        assert_eq!(
            g.path("glibc", "httpd-image", &[]).unwrap(),
            ["glibc", "base-image", "httpd-image"]
        );
        assert_eq!(
            g.path("gcc", "bash", &[]).unwrap(),
            ["gcc", "readline", "bash"]
        );
        assert_eq!(g.path("httpd", "bash", &[]), None);
    }

    #[test]
    fn tiers_put_a_cycle_in_one_tier() {
        let g = distro();
        let tiers: HashMap<String, u32> = g.tiers().into_iter().collect();
        assert_eq!(tiers["glibc"], 0);
        assert_eq!(tiers["gcc"], 0, "glibc and gcc build each other: one tier");
        assert_eq!(tiers["httpd"], 0);
        assert_eq!(tiers["readline"], 1);
        assert_eq!(tiers["bash"], 1, "bash and readline form a cycle");
        assert_eq!(tiers["base-image"], 2);
        assert_eq!(tiers["httpd-image"], 3);
    }

    #[test]
    fn a_rebuild_plan_orders_three_tiers_with_their_triggers() {
        let g = distro();
        let plan = g.rebuild_plan(&["readline", "httpd"], &[]);
        let steps: Vec<Vec<(&str, Vec<&str>)>> = plan
            .iter()
            .map(|s| {
                s.iter()
                    .map(|r| {
                        (
                            r.artifact.as_str(),
                            r.triggered_by.iter().map(String::as_str).collect(),
                        )
                    })
                    .collect()
            })
            .collect();
        assert_eq!(
            steps,
            vec![
                // readline is the change itself: its cycle partner bash
                // comes first, not readline again.
                vec![("bash", vec!["readline"])],
                vec![("base-image", vec!["readline"])],
                vec![("httpd-image", vec!["readline", "httpd"])],
            ]
        );
        assert!(g.rebuild_plan(&["unknown"], &[]).is_empty());
        // Only runtime edges: the images do not follow from a requires change.
        let plan = g.rebuild_plan(&["readline"], &["requires".to_string()]);
        assert_eq!(plan.len(), 1);
    }

    #[test]
    fn a_long_chain_does_not_exhaust_the_stack() {
        let mut g = Graph::new();
        for i in 0..200_000 {
            g.add_edge(&format!("n{i}"), &format!("n{}", i + 1), "requires");
        }
        g.add_edge("n200000", "n0", "requires");
        let tiers = g.tiers();
        assert!(
            tiers.iter().all(|(_, t)| *t == 0),
            "one big cycle: one tier"
        );
        let r = g
            .walk("n0", Direction::Consumers, &Walk::default())
            .unwrap();
        assert_eq!(r.nodes.len(), 200_000);
        assert_eq!(r.cycles.len(), 1);
        assert_eq!(r.cycles[0].len(), 200_001);
    }
}
