// The dashboard's two charts (ECharts, vendored). The figures come from the
// page's json_script block, the translated titles from data- attributes on
// the chart elements: no inline script (the content security policy).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var COLORS = ["#5470c6", "#91cc75"]; // .zf-marker-0 and -1 in zoufang.css

  function escape(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  // ECharts' own tooltip draws its colour markers with style="…" attributes,
  // which the policy does not apply; these markers are classes.
  function tooltip(params) {
    var lines = [escape(params[0].axisValueLabel)];
    params.forEach(function (p) {
      lines.push('<span class="zf-marker zf-marker-' + (p.seriesIndex % 2) + '"></span>' + escape(p.seriesName) + " <strong>" + escape(p.value) + "</strong>");
    });
    return lines.join("<br>");
  }
  function go(links) {
    return function (p) {
      if (links[p.seriesIndex] && links[p.seriesIndex][p.dataIndex]) window.location.href = links[p.seriesIndex][p.dataIndex];
    };
  }

  var trendBox = document.getElementById("trend-chart");
  var trend = echarts.init(trendBox);
  trend.setOption({
    animation: false, color: COLORS,
    title: {text: trendBox.dataset.title, textStyle: {fontSize: 14}},
    tooltip: {trigger: "axis", formatter: tooltip}, legend: {bottom: 0},
    xAxis: {type: "category", data: data.labels}, yAxis: {type: "value", minInterval: 1},
    series: [{name: trendBox.dataset.registered, type: "line", data: data.registered, cursor: "pointer", symbolSize: 8},
             {name: trendBox.dataset.closed, type: "line", data: data.closed, cursor: "pointer", symbolSize: 8}]
  });
  trend.on("click", go([data.registered_links, data.closed_links]));

  var categoryBox = document.getElementById("category-chart");
  var category = echarts.init(categoryBox);
  category.setOption({
    animation: false, color: COLORS,
    title: {text: categoryBox.dataset.title, textStyle: {fontSize: 14}},
    tooltip: {trigger: "axis", formatter: tooltip}, legend: {bottom: 0}, grid: {left: 8, right: 16, containLabel: true},
    yAxis: {type: "category", data: data.categories, axisLabel: {interval: 0}}, xAxis: {type: "value", minInterval: 1},
    series: [{name: categoryBox.dataset.registered, type: "bar", data: data.category_registered, cursor: "pointer"},
             {name: categoryBox.dataset.closed, type: "bar", data: data.category_closed, cursor: "pointer"}]
  });
  category.on("click", go([data.category_links, data.category_closed_links]));
  window.addEventListener("resize", function () { trend.resize(); category.resize(); });
})();
