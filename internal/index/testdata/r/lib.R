## lib.R — shared helpers for the sipas reference scripts (sourced, not run).
##
## Everything here follows the specification docs/methods.md (the project's copy of
## METHODS.md; the section numbers are the same).  The estimators are written out by hand
## and, wherever METHODS says what R does, cross-checked against the survey package:
##   svydesign(ids=~1, strata=~agency, fpc=~receipts)  (§0)
##   svymean on the answerers of a question             (§2)
##   svytotal(~lin) of the linearised variable          (§3)
##   svyciprop(method = "beta" / "logit")               (§2 alternatives)
## Lonely strata: options(survey.lonely.psu = "adjust") (§7).  survey.adjust.domain.lonely
## stays at its default FALSE (a domain with one member in a stratum that has >= 2
## respondents is an ordinary stratum of the full design, padded with zeros).

suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
options(survey.lonely.psu = "adjust", stringsAsFactors = FALSE)
stopifnot(!isTRUE(getOption("survey.adjust.domain.lonely")))

Z <- qnorm(0.975)            # METHODS §0
CONF <- 0.95

## ---------------------------------------------------------------------------------------
## Locations.  Scripts are run as `Rscript internal/index/testdata/r/NAME.R` from the
## repository root; the paths below do not depend on the working directory.
## ---------------------------------------------------------------------------------------
script_path <- function() {
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 0) return(file.path(R_DIR, "interactive.R"))
  normalizePath(f[1])
}
lib_path <- function() {
  for (i in rev(seq_len(sys.nframe()))) {
    f <- sys.frame(i)$ofile
    if (!is.null(f)) return(normalizePath(f))
  }
  stop("lib.R must be read with source()")
}
R_DIR <- dirname(lib_path())
TESTDATA <- dirname(R_DIR)
td <- function(...) file.path(TESTDATA, ...)
script_name <- function() paste0("internal/index/testdata/r/", basename(script_path()))

## ---------------------------------------------------------------------------------------
## The default questionnaire `sipas` (surveys/sipas.json): aspects and their questions.
## A response is "satisfied" (y = 1) when the answer is 4 or 5 (satisfied_min = 4).
## ---------------------------------------------------------------------------------------
ASPECTS <- list(A = c("A1", "A2", "A3", "A0"),
                B = c("B1", "B2", "B3", "B4", "B0"),
                C = c("C1", "C2", "C3", "C4", "C5", "C0"),
                D = c("D1", "D2", "D3", "D0"),
                E = c("E1", "E2", "E3", "E4", "E0"))
QUESTIONS <- unlist(ASPECTS, use.names = FALSE)
ASPECT_OF <- setNames(rep(names(ASPECTS), lengths(ASPECTS)), QUESTIONS)
CHANNELS <- c("counter", "online", "postal")

## ---------------------------------------------------------------------------------------
## Reading the CONTRACT.md CSV files.
## ---------------------------------------------------------------------------------------
read_csv_utf8 <- function(path) {
  read.csv(path, colClasses = "character", fileEncoding = "UTF-8-BOM",
           check.names = FALSE, na.strings = character(0))
}

## Year of a submitted_at value in Asia/Ho_Chi_Minh time (UTC+07:00 all year, no DST).
response_year <- function(s) {
  y <- integer(length(s))
  date_only <- grepl("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", s)
  y[date_only] <- as.integer(substr(s[date_only], 1, 4))
  ts <- s[!date_only]
  if (length(ts)) {
    m <- regmatches(ts, regexec(
      "^([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}:[0-9]{2})(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$", ts))
    bad <- lengths(m) == 0
    if (any(bad)) stop("unparsable submitted_at: ", paste(head(ts[bad]), collapse = ", "))
    local <- as.POSIXct(paste(sapply(m, `[`, 2), sapply(m, `[`, 3)), tz = "UTC")
    off <- sapply(m, `[`, 5)
    offs <- ifelse(off == "Z", 0,
                   (ifelse(substr(off, 1, 1) == "-", -1, 1)) *
                     (as.integer(substr(off, 2, 3)) * 3600 + as.integer(substr(off, 5, 6)) * 60))
    utc <- local - offs
    y[!date_only] <- as.integer(format(utc + 7 * 3600, "%Y", tz = "UTC"))
  }
  y
}

## Responses: one row per form; questions as integers 1..5 or NA (blank).
## year_of_file: take the year from the file name (responses_YYYY.csv) instead of submitted_at;
## kept for the specification's own copy of xw_responses_2025.csv, whose three MG answers
## stamped 2025-12-31T17:05Z..23:59Z are 1 January 2026 in Asia/Ho_Chi_Minh (the project's
## copy dates them inside 2025, refdata/README.md, and needs no such option).
read_responses <- function(paths, year_of_file = FALSE) {
  d <- do.call(rbind, lapply(paths, function(p) {
    x <- read_csv_utf8(p)
    miss <- setdiff(c("response_id", "agency_code", "channel", "submitted_at", QUESTIONS), names(x))
    if (length(miss)) stop(p, ": missing columns ", paste(miss, collapse = " "))
    if (!"comment" %in% names(x)) x$comment <- ""
    x <- x[, c("response_id", "agency_code", "channel", "submitted_at", QUESTIONS, "comment")]
    x$file_year <- as.integer(sub(".*_([0-9]{4})\\.csv$", "\\1", basename(p)))
    x
  }))
  for (q in QUESTIONS) {
    v <- d[[q]]
    v[v == ""] <- NA
    v <- as.integer(v)
    if (any(!is.na(v) & (v < 1 | v > 5))) stop("answer outside 1..5 in ", q)
    d[[q]] <- v
  }
  stopifnot(!anyDuplicated(d$response_id), all(d$channel %in% CHANNELS))
  d$year <- if (year_of_file) d$file_year else response_year(d$submitted_at)
  d
}

read_populations <- function(path) {
  p <- read_csv_utf8(path)
  data.frame(year = as.integer(p$year), agency = p$agency_code,
             receipts = as.numeric(p$receipts))
}
pops_of <- function(pops, year) {
  p <- pops[pops$year == year, ]
  setNames(p$receipts, p$agency)
}

read_agencies <- function(path) read_csv_utf8(path)

## Crosswalk (METHODS §11): composed shares s(u -> T) over chains (multiply along a path,
## add over paths).  A unit that is no `from` of any row continues as itself.
read_crosswalk <- function(path) {
  x <- read_csv_utf8(path)
  data.frame(from = x$from_code, to = x$to_code, share = as.numeric(x$share))
}
composed_shares <- function(cw, u) {
  # returns named vector of final units reached from u (units that are no `from`)
  out <- numeric(0)
  walk <- function(unit, s) {
    rows <- cw[cw$from == unit, ]
    if (nrow(rows) == 0) {
      out[unit] <<- (if (is.na(out[unit])) 0 else out[unit]) + s
    } else {
      for (j in seq_len(nrow(rows))) walk(rows$to[j], s * rows$share[j])
    }
  }
  walk(u, 1)
  out
}

## Satisfied indicator matrix: 1 for answers 4-5, 0 for 1-3, NA for blank (METHODS §0).
y_matrix <- function(d) {
  Y <- as.matrix(d[, QUESTIONS])
  storage.mode(Y) <- "double"
  Y[] <- ifelse(is.na(Y), NA, ifelse(Y >= 4, 1, 0))
  Y
}

## ---------------------------------------------------------------------------------------
## Index definitions (METHODS §3): the questions of an index and its coefficients c_k over
## the questions that have at least one answer (the others are dropped).
## ---------------------------------------------------------------------------------------
index_ids <- function() c(QUESTIONS, names(ASPECTS), "overall")
index_kind <- function(id) if (id %in% QUESTIONS) "question" else if (id %in% names(ASPECTS)) "aspect" else "overall"
index_questions <- function(id) {
  if (id %in% QUESTIONS) id else if (id %in% names(ASPECTS)) ASPECTS[[id]] else QUESTIONS
}
## c_k given which questions are answered (logical named vector over the index questions)
coefficients <- function(id, answered) {
  qs <- index_questions(id)
  c <- setNames(numeric(length(qs)), qs)
  if (index_kind(id) == "question") {
    if (answered[qs]) c[qs] <- 1
    return(c)
  }
  asp <- if (index_kind(id) == "aspect") id else names(ASPECTS)
  kept_aspects <- asp[sapply(asp, function(a) any(answered[ASPECTS[[a]]]))]
  for (a in kept_aspects) {
    qa <- ASPECTS[[a]][answered[ASPECTS[[a]]]]
    c[qa] <- 1 / (length(kept_aspects) * length(qa))
  }
  c
}

## ---------------------------------------------------------------------------------------
## The one estimator behind every number (METHODS §2, §3, §11, §13 domains).
##
## Y        n x K satisfied matrix of the design's respondents (all of them; the analysis
##          sample of the index is taken inside)
## stratum  stratum label per row
## Wpop     named vector: the stratum's population weight W'_h (receipts N_h; s(u->T)*N_u for a
##          predecessor, METHODS §11); respondent weight w_i = W'_h / n_h
## Nfpc     named vector: population used in the fpc, f_h = n_h / Nfpc_h (Inf = no fpc)
## dom      logical per row: the domain (a channel, METHODS §13); all TRUE for no filter
##
## With dom all TRUE and Wpop = Nfpc = receipts this is the separate, item-nonresponse-
## adjusted estimator of §2-3 and its linearised variance.  With a domain it is REFGEN's
## "separate ratio per stratum, then a combined ratio across strata":
##   D_kc = sum_h W'_h m_hkc / m_hk,   p_kc = sum_h W'_h x_hkc / m_hk / D_kc
##   g_hk = (x_hkc - p_kc m_hkc) / m_hk  (n_h >= 2; 0 for a lonely stratum)
##   e_i  = sum_k c_k W'_h r_ik / (m_hk D_kc) [I_c(i)(y_ik - p_kc) - g_hk]
##   V    = sum_{n_h>=2} (1-f_h) n_h/(n_h-1) sum_i (e_i - ebar_h)^2 + sum_{n_h=1} (1-f_h) e_i^2
## and lin_i = e_i / w_i, so that V = vcov(svytotal(~lin, design)) (checked by the callers).
## ---------------------------------------------------------------------------------------
estimate_index <- function(id, Y, stratum, Wpop, Nfpc = Wpop, dom = rep(TRUE, nrow(Y))) {
  qs <- index_questions(id)
  Yq <- Y[, qs, drop = FALSE]
  R <- !is.na(Yq)
  S <- rowSums(R) > 0                       # analysis sample of the index (all of the design)
  Yq <- Yq[S, , drop = FALSE]; R <- R[S, , drop = FALSE]
  st <- stratum[S]; I <- dom[S]
  Y0 <- Yq; Y0[!R] <- 0
  strata <- sort(unique(st), method = "radix")
  nh <- as.vector(table(factor(st, levels = strata)))
  names(nh) <- strata
  if (length(strata) && any(is.na(Wpop[strata]))) stop("no population for stratum ", paste(strata[is.na(Wpop[strata])], collapse = " "))
  fst <- factor(st, levels = strata)
  m   <- rowsum(R * 1, fst, reorder = TRUE)           # m_hk: answerers of k in h (all of the design)
  mc  <- rowsum(R * I, fst, reorder = TRUE)           # m_hkc: answerers in the domain
  xc  <- rowsum(Y0 * I, fst, reorder = TRUE)          # x_hkc: satisfied answerers in the domain
  if (length(strata) == 0) {
    m <- mc <- xc <- matrix(0, 0, length(qs), dimnames = list(NULL, qs))
  }
  Wh <- Wpop[strata]
  D  <- colSums(ifelse(m > 0, Wh * mc / pmax(m, 1), 0))          # D_kc
  num <- colSums(ifelse(m > 0, Wh * xc / pmax(m, 1), 0))
  answered <- setNames(D > 0, qs)
  p <- ifelse(answered, num / ifelse(D > 0, D, 1), NA)          # p_kc
  cc <- coefficients(id, answered)
  dropped <- qs[!answered]
  # domain analysis sample: members of the domain who answered one of the kept questions
  keptq <- qs[answered]
  in_dom <- I & (if (length(keptq)) rowSums(R[, keptq, drop = FALSE]) > 0 else FALSE)
  n_dom <- sum(in_dom)
  n_dom_h <- as.vector(table(factor(st[in_dom], levels = strata)))
  # stratum weights of the kept questions' strata
  res <- list(id = id, kind = index_kind(id), qs = qs, strata = strata, nh = nh,
              Wpop = Wh, Nfpc = Nfpc[strata], m = m, mc = mc, xc = xc,
              n = n_dom, n_h_dom = setNames(n_dom_h, strata),
              n_all = sum(S), dropped = dropped, p = p, c = cc,
              est = NA_real_, V = NA_real_, e = NULL, lin = NULL,
              stratum_rows = st, in_S_dom = I)
  if (n_dom == 0 || !any(answered)) return(res)
  est <- sum(unname(cc[answered] * p[answered]))
  # influence e_i
  hi <- match(st, strata)
  e <- numeric(length(st))
  for (k in keptq) {
    mk <- m[, k]; g <- (xc[, k] - p[k] * mc[, k]) / pmax(mk, 1)
    g[nh < 2] <- 0
    coef_h <- ifelse(mk > 0, cc[k] * Wh / (pmax(mk, 1) * D[k]), 0)
    term <- ifelse(R[, k], coef_h[hi] * ((I * (Yq[, k] - p[k])) - g[hi]), 0)
    e <- e + term
  }
  f <- nh / Nfpc[strata]
  V <- 0
  for (j in seq_along(strata)) {
    ej <- e[hi == j]
    if (nh[j] >= 2) V <- V + (1 - f[j]) * nh[j] / (nh[j] - 1) * sum((ej - mean(ej))^2)
    else V <- V + (1 - f[j]) * sum(ej^2)
  }
  w <- (Wh / nh)[hi]
  res$est <- est; res$V <- unname(V); res$e <- e; res$lin <- e / w; res$w <- w
  res$f <- setNames(f, strata)
  res$lonely <- strata[nh == 1]
  res
}

## survey-package version of the variance of an index: vcov(svytotal(~lin, design)) on the
## index's analysis sample (METHODS §3: "In R this is vcov(svytotal(~lin, design))").
survey_var_lin <- function(r) {
  if (is.null(r$lin) || length(r$lin) < 2) return(NA_real_)
  dd <- data.frame(st = r$stratum_rows, lin = r$lin, w = r$w,
                   fpc = as.vector(r$Nfpc[r$stratum_rows]))
  if (all(is.infinite(dd$fpc))) des <- svydesign(ids = ~1, strata = ~st, weights = ~w, data = dd)
  else des <- svydesign(ids = ~1, strata = ~st, weights = ~w, fpc = ~fpc, data = dd)
  as.numeric(vcov(svytotal(~lin, des)))
}

## survey-package estimate of a question: svymean(~y, subset(des_k, domain)) with des_k the
## stratified design of the answerers of k (METHODS §2, §13).  Returns est, var, deff and
## the design objects for svyciprop.
survey_question <- function(Y, stratum, Wpop, Nfpc, k, dom = rep(TRUE, nrow(Y)), deff = TRUE) {
  ans <- !is.na(Y[, k])
  if (!any(ans & dom)) return(NULL)
  if (sum(ans) < 2) return(NULL)        # survey refuses a design with a single PSU
  nh <- table(stratum[ans])
  dd <- data.frame(st = stratum[ans], y = Y[ans, k], dom = dom[ans])
  dd$w <- as.vector(Wpop[dd$st] / nh[dd$st])
  dd$fpc <- as.vector(Nfpc[dd$st])
  des <- if (all(is.infinite(dd$fpc))) svydesign(ids = ~1, strata = ~st, weights = ~w, data = dd)
         else svydesign(ids = ~1, strata = ~st, weights = ~w, fpc = ~fpc, data = dd)
  sub <- if (all(dd$dom)) des else subset(des, dom)
  m <- suppressWarnings(svymean(~y, sub, deff = deff))
  list(est = as.numeric(coef(m)), var = as.numeric(vcov(m)),
       deff = if (deff) as.numeric(attr(m, "deff")) else NA, design = sub)
}

## ---------------------------------------------------------------------------------------
## Intervals and tests (METHODS §2, §3, §5).
## ---------------------------------------------------------------------------------------
wilson <- function(x, n, z = Z) {
  if (is.na(n) || n <= 0) return(c(NA_real_, NA_real_))
  p <- x / n
  den <- 1 + z^2 / n
  centre <- (p + z^2 / (2 * n)) / den
  half <- (z / den) * sqrt(p * (1 - p) / n + z^2 / (4 * n^2))
  c(if (x == 0) 0 else max(0, centre - half), if (x == n) 1 else min(1, centre + half))
}
## Wilson on the effective sample size: n_eff = min(n, p(1-p)/V), n when V = 0 (§2)
wilson_neff <- function(p, V, n) {
  neff <- if (V == 0) n else min(n, p * (1 - p) / V)
  list(n_eff = neff, ci = wilson(p * neff, neff))
}
clip01 <- function(ci) pmin(1, pmax(0, ci))
newcombe <- function(x1, n1, x0, n0) {
  p1 <- x1 / n1; p0 <- x0 / n0
  w1 <- wilson(x1, n1); w0 <- wilson(x0, n0)
  d <- p1 - p0
  c(d - sqrt((p1 - w1[1])^2 + (w0[2] - p0)^2), d + sqrt((w1[2] - p1)^2 + (p0 - w0[1])^2))
}
pooled_z_p <- function(x1, n1, x0, n0) {
  p1 <- x1 / n1; p0 <- x0 / n0
  pb <- (x1 + x0) / (n1 + n0)
  if (pb <= 0 || pb >= 1) return(if (p1 - p0 == 0) 1 else 0)
  z <- (p1 - p0) / sqrt(pb * (1 - pb) * (1 / n1 + 1 / n0))
  2 * pnorm(-abs(z))
}
welch_df <- function(V1, n1, V0, n0) (V1 + V0)^2 / (V1^2 / (n1 - 1) + V0^2 / (n0 - 1))
## p-value of a z test; SE = 0 gives the point rule (p = 1 when d = 0, else 0)
z_p <- function(d, se) if (se == 0) (if (d == 0) 1 else 0) else 2 * pnorm(-abs(d) / se)

## Verdicts (§1): by the interval; by an adjusted p with the sign of the difference.
verdict_ci <- function(ci) {
  if (any(is.na(ci))) return("insufficient_data")
  if (ci[1] > 0) "higher" else if (ci[2] < 0) "lower" else "no_change"
}
verdict_adj <- function(p, d) {
  if (is.na(p)) return("insufficient_data")
  if (p < 0.05) (if (d > 0) "higher" else "lower") else "no_change"
}
OLD_WORDS <- c(higher = "significantly higher", lower = "significantly lower",
               no_change = "no significant change", insufficient_data = "insufficient data")

## Holm and BH (§8) over the non-missing p-values.
adjust_p <- function(p, method) {
  out <- rep(NA_real_, length(p)); ok <- !is.na(p)
  if (any(ok)) out[ok] <- p.adjust(p[ok], method = method)
  out
}

## Cochran sample size (§8)
sample_size <- function(margin, p = 0.5, deff = 1, N = Inf) {
  n0 <- Z^2 * p * (1 - p) * deff / margin^2
  n <- if (is.finite(N)) n0 / (1 + (n0 - 1) / N) else n0
  as.integer(ceiling(n - 1e-9))
}

## Rank ranges (§12, Klein, Wright & Wieczorek 2020, Bonferroni form).
## est, se: vectors over the K rows with an estimate; a row with se NA (one answer, or a
## zero variance from a sample) never differs.
rank_ranges <- function(est, se) {
  K <- length(est)
  lo <- rep(1L, K); hi <- rep(as.integer(K), K)
  if (K < 2) return(list(low = lo, high = hi, z = NA_real_))
  zr <- qnorm(1 - 0.05 / (K * (K - 1)))
  for (i in seq_len(K)) {
    above <- 0L; below <- 0L
    for (j in seq_len(K)) {
      if (j == i || is.na(se[i]) || is.na(se[j])) next
      d <- est[j] - est[i]; h <- zr * sqrt(se[i]^2 + se[j]^2)
      if (d - h > 0) above <- above + 1L
      if (d + h < 0) below <- below + 1L
    }
    lo[i] <- 1L + above; hi[i] <- as.integer(K) - below
  }
  list(low = lo, high = hi, z = zr)
}

## ---------------------------------------------------------------------------------------
## JSON helpers.  15 significant digits; NA -> null; I() keeps length-1 arrays as arrays.
## ---------------------------------------------------------------------------------------
num <- function(x) if (is.null(x) || length(x) == 0 || is.na(x)) NA else unname(x)
arr <- function(x) I(unname(x))
write_json_file <- function(x, path) {
  txt <- toJSON(x, auto_unbox = TRUE, digits = I(15), na = "null", null = "null", pretty = TRUE)
  writeLines(txt, path, useBytes = TRUE)
  invisible(path)
}

## ---------------------------------------------------------------------------------------
## Comparison of two JSON files, leaf by leaf (the `--check` mode of the scripts).
## Numbers: absolute difference; p-values (keys p_value, p_holm, p_bh, p_pooled_z, ...)
## also relative 1e-6 when below 1e-6.  Returns a summary list.
## ---------------------------------------------------------------------------------------
compare_json <- function(new, old, skip = c("bootstrap", "meta", "generated_by"), tol = 1e-9) {
  a <- fromJSON(new, simplifyVector = FALSE)
  b <- fromJSON(old, simplifyVector = FALSE)
  st <- new.env()
  st$maxabs <- 0; st$where <- ""; st$maxabs2 <- 0; st$where2 <- ""; st$n <- 0L; st$problems <- character(0); st$p_rel_bad <- character(0)
  walk <- function(x, y, path, key) {
    if (key %in% skip) return()
    if (is.null(x) && is.null(y)) { st$n <- st$n + 1L; return() }
    if (is.null(x) || is.null(y)) {
      st$problems <- c(st$problems, sprintf("%s: %s vs expected %s", path,
        if (is.null(x)) "null" else format(x), if (is.null(y)) "null" else format(y)))
      return()
    }
    if (is.list(x) || is.list(y)) {
      if (!is.list(x) || !is.list(y)) { st$problems <- c(st$problems, paste(path, ": type")); return() }
      nx <- names(x); ny <- names(y)
      if (is.null(nx) && is.null(ny)) {
        if (length(x) != length(y)) { st$problems <- c(st$problems, sprintf("%s: length %d vs %d", path, length(x), length(y))); return() }
        for (i in seq_along(x)) walk(x[[i]], y[[i]], sprintf("%s[%d]", path, i), key)
      } else {
        for (k in setdiff(ny, nx)) if (!k %in% skip) st$problems <- c(st$problems, sprintf("%s.%s: missing", path, k))
        for (k in setdiff(nx, ny)) if (!k %in% skip) st$problems <- c(st$problems, sprintf("%s.%s: extra", path, k))
        for (k in intersect(nx, ny)) walk(x[[k]], y[[k]], paste0(path, ".", k), k)
      }
      return()
    }
    if (is.numeric(x) && is.numeric(y)) {
      st$n <- st$n + 1L
      d <- abs(x - y)
      if (d > st$maxabs) { st$maxabs <- d; st$where <- path }
      if (!key %in% c("n_eff", "df") && d > st$maxabs2) { st$maxabs2 <- d; st$where2 <- path }
      if (d > tol) st$problems <- c(st$problems, sprintf("%s: %.17g vs expected %.17g", path, x, y))
      if (grepl("^p_|^p$", key) && abs(y) < 1e-6 && y != 0 && abs(d / y) > 1e-6)
        st$p_rel_bad <- c(st$p_rel_bad, path)
      return()
    }
    st$n <- st$n + 1L
    if (!identical(x, y)) st$problems <- c(st$problems, sprintf("%s: %s vs expected %s", path, format(x), format(y)))
  }
  walk(a, b, "", "")
  list(max_abs = st$maxabs, where = st$where, max_abs_abs = st$maxabs2, where_abs = st$where2, leaves = st$n,
       problems = c(st$problems, if (length(st$p_rel_bad)) paste(st$p_rel_bad, ": p relative > 1e-6")))
}

## ---------------------------------------------------------------------------------------
## A year's data and the two bases of every index (METHODS §2-3).
## ---------------------------------------------------------------------------------------
year_data <- function(resp, pops, year) {
  d <- resp[resp$year == year, ]
  list(year = year, d = d, Y = y_matrix(d), agency = d$agency_code, channel = d$channel,
       N = pops_of(pops, year))
}
subset_year <- function(yd, keep) {
  list(year = yd$year, d = yd$d[keep, ], Y = yd$Y[keep, , drop = FALSE],
       agency = yd$agency[keep], channel = yd$channel[keep], N = yd$N)
}

## Unweighted basis: one stratum, N := n, no fpc (METHODS §3).
unweighted_index <- function(id, Y) {
  st <- rep("all", nrow(Y))
  estimate_index(id, Y, st, Wpop = c(all = 1), Nfpc = c(all = Inf))
}
## Stratified basis: strata = agencies, receipts (METHODS §0), optionally a domain (§13).
stratified_index <- function(id, yd, dom = rep(TRUE, nrow(yd$Y))) {
  estimate_index(id, yd$Y, yd$agency, Wpop = yd$N, Nfpc = yd$N, dom = dom)
}

## Summary numbers of an unweighted estimate.
unw_summary <- function(r) {
  if (r$kind == "question") {
    k <- r$qs
    n <- sum(r$m[, k]); x <- sum(r$xc[, k])
    est <- if (n > 0) x / n else NA
    se <- if (n > 0) sqrt(est * (1 - est) / n) else NA
    return(list(x = x, n = n, est = est, se = se, V = if (n > 0) se^2 else NA,
                ci = wilson(x, n), df = NA))
  }
  n <- r$n
  se <- if (n >= 2) sqrt(r$V) else NA
  q <- if (n >= 2) qt(0.975, n - 1) else NA
  ci <- if (n >= 2) clip01(r$est + c(-1, 1) * q * se) else c(NA, NA)
  list(est = r$est, se = se, V = if (n >= 2) r$V else NA, n = n, df = n - 1, ci = ci,
       dropped = r$dropped)
}

## ---------------------------------------------------------------------------------------
## Predecessors (METHODS §11): T itself (share 1) when T has baseline respondents, plus every
## other unit u with baseline respondents and composed share s(u -> T) > 0.  Order: the
## agencies file.  Without a crosswalk: T alone.
## ---------------------------------------------------------------------------------------
predecessors <- function(T, base_units, order, cw = NULL) {
  s <- c()
  for (u in base_units) {
    sh <- if (is.null(cw)) (if (u == T) 1 else 0) else { cs <- composed_shares(cw, u); if (T %in% names(cs)) cs[[T]] else 0 }
    if (sh > 0) s[u] <- sh
  }
  if (length(s) == 0) return(setNames(numeric(0), character(0)))
  s[order(match(names(s), order))]
}

## Census check for the §13 guard: every stratum that contributes has n_h = N_h.
is_census <- function(r) length(r$strata) > 0 && all(r$nh >= r$Nfpc)

## ---------------------------------------------------------------------------------------
## Agency rows on the stratified basis (METHODS §11-12, REFGEN "Agency rows").
## This year: T's overall index over its own stratum (N_T, fpc).  Baseline: the separate
## stratified estimator over T's predecessors, stratum u weighted s(u->T) N_u, fpc with
## u's whole sample.  dom1/dom0: channel domains (REFGEN "Channel filters", one stratum).
## guards = TRUE applies METHODS §13 (n = 1; V1 + V0 = 0 from a sample).
## ---------------------------------------------------------------------------------------
agency_rows_stratified <- function(y1, y0, order, cw = NULL, dom1 = NULL, dom0 = NULL, guards = FALSE,
                                   check_survey = TRUE) {
  if (is.null(dom1)) dom1 <- rep(TRUE, nrow(y1$Y))
  if (is.null(dom0) && !is.null(y0)) dom0 <- rep(TRUE, nrow(y0$Y))
  with1 <- rowSums(!is.na(y1$Y)) > 0
  ags <- sort(unique(y1$agency[with1]), method = "radix")
  base_units <- if (is.null(y0)) character(0) else unique(y0$agency[rowSums(!is.na(y0$Y)) > 0])
  rows <- lapply(ags, function(T) {
    s1 <- y1$agency == T
    r1 <- estimate_index("overall", y1$Y[s1, , drop = FALSE], y1$agency[s1], Wpop = y1$N, Nfpc = y1$N,
                         dom = dom1[s1])
    if (check_survey && !is.null(r1$lin) && r1$n >= 2) {
      vs <- survey_var_lin(r1); if (abs(vs - r1$V) > 1e-15) stop("svytotal check failed for ", T)
    }
    n1 <- r1$n
    se1 <- if (n1 >= 2 || (!guards && n1 >= 1 && !is.na(r1$V))) sqrt(r1$V) else NA
    if (guards && n1 < 2) se1 <- NA
    ci1 <- if (!is.na(se1) && n1 >= 2) clip01(r1$est + c(-1, 1) * Z * se1) else c(NA, NA)
    pred <- predecessors(T, base_units, order, cw)
    row <- list(agency = T, n = as.integer(n1), est = num(r1$est), se = num(se1), ci = ci1, r1 = r1, pred = pred)
    if (length(pred) == 0) {
      row$change <- list(diff = NA, se = NA, ci = c(NA, NA), p_value = NA, verdict = "insufficient_data",
                         baseline_estimate = NA, baseline_n = 0L)
      return(row)
    }
    s0 <- y0$agency %in% names(pred)
    Wp <- pred * y0$N[names(pred)]
    r0 <- estimate_index("overall", y0$Y[s0, , drop = FALSE], y0$agency[s0], Wpop = Wp,
                         Nfpc = y0$N[names(pred)], dom = dom0[s0])
    if (check_survey && !is.null(r0$lin) && r0$n >= 2) {
      vs <- survey_var_lin(r0); if (abs(vs - r0$V) > 1e-15) stop("svytotal check failed for baseline of ", T)
    }
    row$r0 <- r0
    n0 <- r0$n
    ch <- list(diff = NA, se = NA, ci = c(NA, NA), p_value = NA, verdict = "insufficient_data",
               baseline_estimate = num(r0$est), baseline_n = as.integer(n0))
    if (n1 >= 1 && n0 >= 1) ch$diff <- r1$est - r0$est
    if (n1 >= 2 && n0 >= 2) {
      V <- r1$V + r0$V
      if (guards && V == 0 && !(is_census(r1) && is_census(r0))) {
        # METHODS §13: a variance of 0 estimated from a sample is not certainty
      } else {
        se <- sqrt(V); ci <- ch$diff + c(-1, 1) * Z * se
        ch$se <- se; ch$ci <- ci; ch$p_value <- z_p(ch$diff, se)
        ch$verdict <- if (se == 0) (if (ch$diff > 0) "higher" else if (ch$diff < 0) "lower" else "no_change") else verdict_ci(ci)
      }
    }
    row$change <- ch
    row
  })
  rows
}

## =======================================================================================
## The "partial report JSON" of REFGEN.md: CONTRACT.md field names, METHODS §13 guards.
## =======================================================================================

## Running record of the survey-package cross-checks (reported by the scripts).
SELFCHECK <- new.env()
SELFCHECK$rows <- list()
selfcheck <- function(what, hand, surv) {
  SELFCHECK$rows[[length(SELFCHECK$rows) + 1]] <- data.frame(what = what, hand = hand, survey = surv,
                                                             absdiff = abs(hand - surv))
}
selfcheck_table <- function() if (length(SELFCHECK$rows)) do.call(rbind, SELFCHECK$rows) else NULL

## Precision flag (METHODS §12-13, REFGEN "Precision flag") of a stratified estimate r with
## interval ci.  Census everywhere: exact, never indicative.
indicative_flag <- function(r, ci, V) {
  if (is.na(r$est)) return(NA)
  if (is_census(r)) return(FALSE)
  half <- if (any(is.na(ci))) NA else max(r$est - ci[1], ci[2] - r$est)
  wide <- !is.na(half) && half > 0.05
  zero <- !is.na(V) && V == 0                                  # V = 0 from a sample
  # strata of the index in decreasing weight until the cumulative share exceeds 0.5
  if (r$kind == "question") {
    used <- r$m[, r$qs] > 0; nh <- r$m[used, r$qs]
  } else {
    used <- rep(TRUE, length(r$strata)); nh <- r$nh
  }
  W <- r$Wpop[used]; N <- r$Nfpc[used]
  o <- order(-W, names(W))
  cum <- cumsum(W[o]) / sum(W)
  take <- o[seq_len(which(cum > 0.5)[1])]
  small <- any(nh[take] < 30 & nh[take] < N[take])
  wide || zero || small
}

## Both bases of one index in one year; channel = NULL (whole year) or a channel (a domain of
## the full design on the stratified basis; the domain's respondents on their own on the
## unweighted basis, REFGEN "Channel filters").
index_year <- function(id, yd, channel = NULL, guards = TRUE, label = "") {
  dom <- if (is.null(channel)) rep(TRUE, nrow(yd$Y)) else yd$channel == channel
  ru <- unweighted_index(id, yd$Y[dom, , drop = FALSE]); u <- unw_summary(ru)
  rs <- stratified_index(id, yd, dom)
  n <- rs$n
  s <- list(est = NA, se = NA, V = NA, ci = c(NA, NA), n = n, n_eff = NA, deff = NA,
            dropped = rs$dropped, census = is_census(rs), r = rs)
  if (n > 0) {
    s$est <- rs$est
    if (rs$kind == "question") {
      sv <- survey_question(yd$Y, yd$agency, yd$N, yd$N, id, dom)     # svymean(~y, subset(des_k, dom))
      if (!is.null(sv)) {
        selfcheck(paste(label, id, "question est: hand vs svymean"), rs$est, sv$est)
        selfcheck(paste(label, id, "question var: hand vs svymean"), rs$V, sv$var)
      }
      if (n >= 2 || !guards) {
        s$V <- rs$V; s$se <- sqrt(rs$V)
        wn <- wilson_neff(rs$est, rs$V, n); s$n_eff <- wn$n_eff; s$ci <- wn$ci
        s$deff <- if (rs$est %in% c(0, 1) || n < 2) NA else sv$deff
      }
    } else {
      Vs <- survey_var_lin(rs)                                        # vcov(svytotal(~lin))
      if (!is.na(Vs)) selfcheck(paste(label, id, "var: hand vs svytotal(~lin)"), rs$V, Vs)
      if (n >= 2) {
        s$V <- rs$V; s$se <- sqrt(rs$V); s$ci <- clip01(rs$est + c(-1, 1) * Z * s$se)
      }
    }
    s$indicative <- indicative_flag(rs, s$ci, s$V)
  }
  list(id = id, kind = index_kind(id), u = u, ru = ru, s = s)
}

## Changes (METHODS §5, §6, §13).  Each returns the CONTRACT Change fields.
change_obj <- function(diff = NA, se = NA, ci = c(NA, NA), p = NA, verdict = "insufficient_data",
                       b_est = NA, b_n = NA) {
  list(diff = num(diff), se = num(se), ci_low = num(ci[1]), ci_high = num(ci[2]), p_value = num(p),
       verdict = verdict, baseline_estimate = num(b_est), baseline_n = if (is.na(b_n)) NA else as.integer(round(b_n)))
}
## Newcombe + pooled z (unweighted question); x0 may be non-integer (aggregate baseline)
change_newcombe <- function(x1, n1, x0, n0, b_est) {
  if (n1 == 0 || n0 == 0) return(change_obj(b_est = if (n0 > 0) b_est else NA, b_n = n0))
  ci <- newcombe(x1, n1, x0, n0)
  change_obj(x1 / n1 - x0 / n0, NA, ci, pooled_z_p(x1, n1, x0, n0), verdict_ci(ci), b_est, n0)
}
## Welch t (unweighted aspect/overall, agency rows); guard: V1 + V0 = 0 is from a sample
change_welch <- function(e1, V1, n1, e0, V0, n0, guards = TRUE) {
  if (n1 == 0 || n0 == 0) return(change_obj(b_est = if (n0 > 0) e0 else NA, b_n = n0))
  d <- e1 - e0
  if (n1 < 2 || n0 < 2 || is.na(V1) || is.na(V0)) return(change_obj(d, b_est = e0, b_n = n0))
  V <- V1 + V0
  if (V == 0 && guards) return(change_obj(d, b_est = e0, b_n = n0))
  df <- welch_df(V1, n1, V0, n0)
  ci <- d + c(-1, 1) * qt(0.975, df) * sqrt(V)
  c(change_obj(d, sqrt(V), ci, 2 * pt(-abs(d) / sqrt(V), df), verdict_ci(ci), e0, n0), list(df = df))
}
## z (stratified, any index); census1/census0: the §13 census exception
change_z <- function(e1, V1, n1, census1, e0, V0, n0, census0, guards = TRUE) {
  if (n1 == 0 || n0 == 0) return(change_obj(b_est = if (n0 > 0) e0 else NA, b_n = n0))
  d <- e1 - e0
  if (is.na(V1) || is.na(V0)) return(change_obj(d, b_est = e0, b_n = n0))      # n = 1 (§13)
  V <- V1 + V0
  if (V == 0) {
    if (guards && !(census1 && census0)) return(change_obj(d, b_est = e0, b_n = n0))
    v <- if (d > 0) "higher" else if (d < 0) "lower" else "no_change"
    return(change_obj(d, 0, c(d, d), if (d == 0) 1 else 0, v, e0, n0))
  }
  ci <- d + c(-1, 1) * Z * sqrt(V)
  change_obj(d, sqrt(V), ci, z_p(d, sqrt(V)), verdict_ci(ci), e0, n0)
}

## Holm over the questions of a report, per basis (METHODS §8, §12; REFGEN "Holm over
## questions"): p_holm and verdict_holm on each question's Change.
holm_questions <- function(indices) {
  qi <- which(sapply(indices, function(x) x$kind == "question" && !is.null(x$change)))
  for (basis in c("unweighted", "stratified")) {
    p <- sapply(qi, function(j) num(indices[[j]]$change[[basis]]$p_value))
    ph <- adjust_p(p, "holm")
    for (t in seq_along(qi)) {
      ch <- indices[[qi[t]]]$change[[basis]]
      ch$p_holm <- num(ph[t]); ch$verdict_holm <- verdict_adj(ph[t], num(ch$diff))
      indices[[qi[t]]]$change[[basis]] <- ch
    }
  }
  indices
}

## An Estimate object (CONTRACT).
estimate_obj_unw <- function(x) {
  u <- x$u
  o <- list(estimate = num(u$est), se = num(u$se), ci_low = num(u$ci[1]), ci_high = num(u$ci[2]),
            n = as.integer(u$n))
  if (x$kind != "question") o$dropped_questions <- arr(u$dropped)
  o
}
estimate_obj_str <- function(x, indicative = TRUE) {
  s <- x$s
  o <- list(estimate = num(s$est), se = num(s$se), ci_low = num(s$ci[1]), ci_high = num(s$ci[2]),
            n = as.integer(s$n))
  if (x$kind == "question") { o$n_eff <- num(s$n_eff); o$deff <- num(s$deff) }
  else o$dropped_questions <- arr(s$dropped)
  if (indicative && !is.null(s$indicative) && !is.na(s$indicative)) o$indicative <- s$indicative
  o
}

## ---------------------------------------------------------------------------------------
## Aggregate baselines (METHODS §6, §11 multi-unit, §13 published se; REFGEN).
## ---------------------------------------------------------------------------------------
read_aggregates_csv <- function(path) {
  a <- read_csv_utf8(path)
  a$percent <- as.numeric(a$percent); a$n <- as.numeric(a$n)
  a$se <- if ("se" %in% names(a)) suppressWarnings(as.numeric(ifelse(a$se == "", NA, a$se))) else NA
  if (!"agency_code" %in% names(a)) a$agency_code <- ""
  a
}
## The baseline of one (index, basis): e0, n0 and V0 with its rule, given this year's e1, V1, n1.
aggregate_baseline <- function(ag, id, basis, year0, e1, V1, n1, pops) {
  r <- ag[ag$index == id & ag$basis == basis & as.integer(ag$year) == year0, ]
  if (nrow(r) == 0) return(NULL)
  borrow <- function(e, n) {
    if (e1 %in% c(0, 1)) list(V = e * (1 - e) / n, rule = "binomial")
    else list(V = V1 * (e * (1 - e) / n) / (e1 * (1 - e1) / n1), rule = "borrowed")
  }
  unit_var <- function(j) {
    e <- r$percent[j] / 100
    if (!is.na(r$se[j])) list(V = (r$se[j] / 100)^2, rule = "published") else borrow(e, r$n[j])
  }
  if (nrow(r) == 1 && r$agency_code == "") {
    v <- unit_var(1)
    return(list(e0 = r$percent / 100, n0 = r$n, V0 = v$V, rule = v$rule))
  }
  stopifnot(all(r$agency_code != ""))
  N <- pops_of(pops, year0)[r$agency_code]
  if (any(is.na(N))) stop("no ", year0, " receipts for ", paste(r$agency_code[is.na(N)], collapse = " "))
  W <- N / sum(N)
  vs <- lapply(seq_len(nrow(r)), unit_var)
  rules <- sapply(vs, `[[`, "rule")
  list(e0 = sum(W * r$percent / 100), n0 = sum(r$n), V0 = sum(W^2 * sapply(vs, `[[`, "V")),
       rule = if (all(rules == "published")) "published" else if (e1 %in% c(0, 1)) "binomial" else "borrowed",
       units = data.frame(agency = r$agency_code, W = unname(W), e = r$percent / 100, n = r$n,
                          V = sapply(vs, `[[`, "V"), rule = rules))
}

## ---------------------------------------------------------------------------------------
## A whole report (CONTRACT "Report JSON"), as `sipas report` would give it.
##   resp, pops, order (agency codes in file order), year, baseline (NULL or a year),
##   source "responses" | "aggregates" (with ag = read_aggregates_csv()), channel, cw.
## Returns list(report = <partial report JSON>, extra = <quantities outside the report>).
## ---------------------------------------------------------------------------------------
build_report <- function(resp, pops, order, year, baseline = NULL, source = "responses", ag = NULL,
                         channel = NULL, cw = NULL, guards = TRUE, indicative = TRUE,
                         with_agencies = TRUE, with_unweighted_agencies = is.null(channel),
                         label = "") {
  y1 <- year_data(resp, pops, year)
  raw <- !is.null(baseline) && source == "responses"
  y0 <- if (raw) year_data(resp, pops, baseline) else NULL
  scope1 <- if (is.null(channel)) rep(TRUE, nrow(y1$Y)) else y1$channel == channel
  indices <- list()
  for (id in index_ids()) {
    x1 <- index_year(id, y1, channel, guards, paste(label, year))
    ent <- list(id = id, kind = x1$kind)
    if (x1$kind == "question") ent$aspect <- ASPECT_OF[[id]]
    ent$unweighted <- estimate_obj_unw(x1)
    ent$stratified <- estimate_obj_str(x1, indicative)
    if (!is.null(baseline)) {
      if (raw) {
        x0 <- index_year(id, y0, channel, guards, paste(label, baseline))
        cu <- if (x1$kind == "question") change_newcombe(x1$u$x, x1$u$n, x0$u$x, x0$u$n, x0$u$est)
              else change_welch(x1$u$est, x1$u$V, x1$u$n, x0$u$est, x0$u$V, x0$u$n, guards)
        cu$df <- NULL
        cs <- change_z(x1$s$est, x1$s$V, x1$s$n, x1$s$census, x0$s$est, x0$s$V, x0$s$n, x0$s$census, guards)
      } else {
        bu <- aggregate_baseline(ag, id, "unweighted", baseline, x1$u$est, x1$u$V, x1$u$n, pops)
        bs <- aggregate_baseline(ag, id, "stratified", baseline, x1$s$est, x1$s$V, x1$s$n, pops)
        if (x1$kind == "question") {
          cu <- change_newcombe(x1$u$x, x1$u$n, bu$e0 * bu$n0, bu$n0, bu$e0)
          cu$baseline_var_rule <- NA                 # Newcombe uses x0 = e0 n0 whatever se says
        } else {
          cu <- change_welch(x1$u$est, x1$u$V, x1$u$n, bu$e0, bu$V0, bu$n0, guards)
          cu$df <- NULL
          cu$baseline_var_rule <- bu$rule
        }
        cs <- change_z(x1$s$est, x1$s$V, x1$s$n, x1$s$census, bs$e0, bs$V0, bs$n0, FALSE, guards)
        cs$baseline_var_rule <- bs$rule
      }
      ent$change <- list(unweighted = cu, stratified = cs)
    }
    indices[[length(indices) + 1]] <- ent
  }
  if (!is.null(baseline)) indices <- holm_questions(indices)
  report <- list(respondents = sum(scope1), indices = indices)
  extra <- list()
  if (with_agencies && raw) {
    ar <- agency_report_rows(y1, y0, order, cw, channel, guards, indicative, with_unweighted_agencies)
    report$agencies <- ar$rows
    extra <- ar$extra
  }
  list(report = report, extra = extra)
}

## Agency rows (CONTRACT AgencyRow; METHODS §10-12; REFGEN "Agency rows").
agency_report_rows <- function(y1, y0, order, cw, channel, guards, indicative, with_unweighted) {
  dom1 <- if (is.null(channel)) NULL else y1$channel == channel
  dom0 <- if (is.null(channel)) NULL else y0$channel == channel
  st <- agency_rows_stratified(y1, y0, order, cw, dom1, dom0, guards)
  st <- Filter(function(r) r$n > 0, st)           # agencies with respondents in scope
  # Holm (and BH, reported outside the report) over the rows with a stratified p
  p <- sapply(st, function(r) num(r$change$p_value))
  ph <- adjust_p(p, "holm"); pb <- adjust_p(p, "BH")
  has <- sapply(st, function(r) !is.na(r$est))
  # A variance of 0 estimated from a sample is no evidence (§13): such a row is ranked like
  # one without a variance, never told apart from another.
  rank_se <- function(r) { s <- num(r$se); if (!is.na(s) && s == 0 && !is_census(r$r1)) NA else s }
  rr <- rank_ranges(sapply(st[has], function(r) r$est), sapply(st[has], rank_se))
  rows <- list(); extra <- list(z_rank = rr$z, K = sum(has), m_holm_stratified = sum(!is.na(p)), p_bh_stratified = list())
  unw_p <- c()
  for (j in seq_along(st)) {
    r <- st[[j]]; T <- r$agency
    rc <- r$change
    ch <- change_obj(rc$diff, rc$se, rc$ci, rc$p_value, rc$verdict, rc$baseline_estimate, rc$baseline_n)
    ch$p_holm <- num(ph[j]); ch$verdict_holm <- verdict_adj(ph[j], num(ch$diff))
    sb <- list(estimate = num(r$est), se = num(r$se), ci_low = num(r$ci[1]), ci_high = num(r$ci[2]))
    k <- match(j, which(has))
    sb$rank_low <- if (is.na(k)) NA else rr$low[k]
    sb$rank_high <- if (is.na(k)) NA else rr$high[k]
    sb$change <- ch
    if (indicative) {
      one <- r$r1
      sb$indicative <- if (is_census(one)) FALSE else
        (!is.na(r$se) && max(r$est - r$ci[1], r$ci[2] - r$est) > 0.05) ||
        (!is.na(r$se) && r$se == 0) || r$n < 30
    }
    row <- list(agency = T)
    if (with_unweighted) {
      s1 <- y1$agency == T
      u1r <- unweighted_index("overall", y1$Y[s1, , drop = FALSE]); u1 <- unw_summary(u1r)
      row$n <- as.integer(u1r$n); row$estimate <- num(u1r$est)
      row$ci_low <- num(u1$ci[1]); row$ci_high <- num(u1$ci[2])
      only_self <- length(r$pred) == 0 || identical(names(r$pred), T)
      if (only_self) {
        s0 <- y0$agency == T
        u0r <- unweighted_index("overall", y0$Y[s0, , drop = FALSE]); u0 <- unw_summary(u0r)
        cu <- change_welch(u1r$est, u1$V, u1r$n, u0r$est, u0$V, u0r$n, guards); cu$df <- NULL
      } else {
        # METHODS §11: the unweighted basis has no meaning across a reorganisation
        cu <- list(diff = NA, se = NA, ci_low = NA, ci_high = NA, p_value = NA, verdict = "insufficient_data")
      }
      row$change <- cu
      unw_p[j] <- num(cu$p_value)
    } else {
      unw_p[j] <- NA
    }
    row$stratified <- sb
    row$predecessors <- lapply(seq_along(r$pred), function(i) list(agency = names(r$pred)[i], share = unname(r$pred[i])))
    if (length(r$pred) == 0) row$predecessors <- I(list())
    rows[[j]] <- row
    extra$p_bh_stratified[[T]] <- num(pb[j])
  }
  if (with_unweighted) {
    uh <- adjust_p(unw_p, "holm")
    for (j in seq_along(rows)) {
      rows[[j]]$change$p_holm <- num(uh[j])
      rows[[j]]$change$verdict_holm <- verdict_adj(uh[j], num(rows[[j]]$change$diff))
    }
    extra$m_holm_unweighted <- sum(!is.na(unw_p))
  }
  list(rows = rows, extra = extra)
}

## One case of a stress file.
stress_case <- function(name, inputs, args, built, note = NULL) {
  cs <- list(name = name)
  if (!is.null(note)) cs$note <- note
  cs$inputs <- inputs; cs$args <- arr(args); cs$report <- built$report
  if (length(built$extra)) cs$reference_only <- built$extra
  cs
}
stress_file <- function(note, cases) {
  list(generated_by = script_name(), R = R.version.string, survey = as.character(packageVersion("survey")),
       note = note, cases = cases)
}
inputs_obj <- function(agencies, populations, responses, aggregates = NULL, crosswalk = NULL) {
  list(agencies = agencies, populations = populations, responses = arr(responses),
       aggregates = if (is.null(aggregates)) NA else aggregates,
       crosswalk = if (is.null(crosswalk)) NA else crosswalk)
}
